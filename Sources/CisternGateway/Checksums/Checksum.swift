import Crypto
import Foundation

/// The checksums an S3 request may carry over its body: S3's additional checksums
/// (`x-amz-checksum-*`, as a header or a trailer) and `Content-MD5`. Values are base64 of the
/// digest's big-endian bytes.
public enum ChecksumAlgorithm: String, CaseIterable, Sendable {
    case crc32 = "CRC32"
    case crc32c = "CRC32C"
    case crc64nvme = "CRC64NVME"
    case sha1 = "SHA1"
    case sha256 = "SHA256"
    case md5 = "MD5"

    /// The header (or trailer) that carries it: `x-amz-checksum-crc32`, ..., `content-md5`.
    public var headerName: String { self == .md5 ? "content-md5" : "x-amz-checksum-" + self.rawValue.lowercased() }

    /// The algorithm a header or trailer name carries; nil for any other name.
    public init?(headerName: String) {
        let name = headerName.lowercased()
        guard let algorithm = Self.allCases.first(where: { $0.headerName == name }) else { return nil }
        self = algorithm
    }

    /// How many bytes its digest has: what a well-formed value decodes to.
    public var digestLength: Int {
        switch self {
        case .crc32, .crc32c: 4
        case .crc64nvme: 8
        case .sha1: 20
        case .sha256: 32
        case .md5: 16
        }
    }
}

/// Computes one checksum over a body that arrives in pieces.
public struct Checksummer: Sendable {
    public let algorithm: ChecksumAlgorithm
    private var state: State

    private enum State: Sendable {
        case crc32(UInt32)
        case crc32c(UInt32)
        case crc64(UInt64)
        case sha1(Insecure.SHA1)
        case sha256(SHA256)
        case md5(Insecure.MD5)
    }

    public init(_ algorithm: ChecksumAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .crc32: self.state = .crc32(CRC<UInt32>.initial)
        case .crc32c: self.state = .crc32c(CRC<UInt32>.initial)
        case .crc64nvme: self.state = .crc64(CRC<UInt64>.initial)
        case .sha1: self.state = .sha1(Insecure.SHA1())
        case .sha256: self.state = .sha256(SHA256())
        case .md5: self.state = .md5(Insecure.MD5())
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch self.state {
        case .crc32(let crc): self.state = .crc32(CRCs.crc32.update(crc, bytes))
        case .crc32c(let crc): self.state = .crc32c(CRCs.crc32c.update(crc, bytes))
        case .crc64(let crc): self.state = .crc64(CRCs.crc64nvme.update(crc, bytes))
        case .sha1(var hash):
            hash.update(bufferPointer: bytes)
            self.state = .sha1(hash)
        case .sha256(var hash):
            hash.update(bufferPointer: bytes)
            self.state = .sha256(hash)
        case .md5(var hash):
            hash.update(bufferPointer: bytes)
            self.state = .md5(hash)
        }
    }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        if let done = bytes.withContiguousStorageIfAvailable({ self.update(UnsafeRawBufferPointer($0)) }) { return done }
        Array(bytes).withUnsafeBytes { self.update($0) }
    }

    /// The digest's bytes, big-endian for the CRCs.
    public func digest() -> [UInt8] {
        switch self.state {
        case .crc32(let crc), .crc32c(let crc): Self.bigEndianBytes(~crc)
        case .crc64(let crc): Self.bigEndianBytes(~crc)
        case .sha1(let hash): Array(hash.finalize())
        case .sha256(let hash): Array(hash.finalize())
        case .md5(let hash): Array(hash.finalize())
        }
    }

    /// The digest as S3 headers carry it.
    public func base64() -> String { Data(self.digest()).base64EncodedString() }

    private static func bigEndianBytes<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] {
        (0..<(Value.bitWidth / 8)).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}
