import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A port nothing listens on.
public func closedPort() throws -> Int {
    let listener = try SilentListener()
    let port = listener.port
    listener.close()
    return port
}

/// A TCP socket that accepts connections (through the kernel's backlog) but never answers.
public final class SilentListener: @unchecked Sendable {
    let descriptor: Int32
    public let port: Int

    public init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        guard bound == 0, listen(descriptor, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// How many connections have reached the listener so far (each is accepted and closed here).
    public func takeConnections() -> Int {
        _ = fcntl(self.descriptor, F_SETFL, fcntl(self.descriptor, F_GETFL) | O_NONBLOCK)
        var count = 0
        while true {
            let connection = accept(self.descriptor, nil, nil)
            guard connection >= 0 else { return count }
            _ = Glibc.close(connection)
            count += 1
        }
    }

    public func close() {
        _ = Glibc.close(descriptor)
    }
}
