import NIOCore
import NIOPosix

/// The address a server is about to listen on.
package enum ListeningAddress {
    /// Throws a one-line `StartupError` when `host:port` cannot be bound (in use, not an address
    /// of this machine, a privileged port). Port 0 is always free.
    package static func requireFree(host: String, port: Int) async throws {
        guard port != 0 else { return }
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port).get()
            try await channel.close()
        } catch let error as IOError {
            throw StartupError("cannot listen on \(host):\(port): \(Self.describe(error.errnoCode))")
        } catch {
            throw StartupError("cannot listen on \(host):\(port): \(error)")
        }
    }

    private static func describe(_ code: CInt) -> String {
        switch code {
        case 98, 48: "address already in use"  // EADDRINUSE on Linux, Darwin
        case 99, 49: "not an address of this machine"  // EADDRNOTAVAIL
        case 13: "permission denied"  // EACCES
        default: "error \(code)"
        }
    }
}
