import CisternCore
import CisternProviders
import Crypto
import NIOCore

/// Decodes an `aws-chunked` request body as it arrives: `SIZE[;chunk-signature=SIG]\r\nDATA\r\n`
/// chunks, a final chunk of size 0, then trailing headers and an empty line.
///
/// With a `ChunkSigner` (the `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` modes) every chunk's
/// signature is checked when the chunk ends, chained from the seed signature, and the trailers'
/// signature after the final chunk. Data is handed on as it comes, so a chunk is never held whole;
/// the caller must treat the body as accepted only once `finish()` returns, and abort whatever it
/// fed otherwise, so that a tampered body is stored nowhere.
public struct AWSChunkedDecoder: Sendable {
    /// What signs the chunks: the request's signing key and scope, and the seed signature.
    public struct ChunkSigner: Sendable {
        public var key: SymmetricKey
        public var timestamp: String
        public var scope: SigV4.Scope
        /// The signature the next chunk's signature chains from.
        public var previous: String

        public init(key: SymmetricKey, timestamp: String, scope: SigV4.Scope, seedSignature: String) {
            self.key = key
            self.timestamp = timestamp
            self.scope = scope
            self.previous = seedSignature
        }
    }

    /// The longest chunk-size line or trailer line accepted.
    static let maximumLineLength = 4096
    /// The largest chunk accepted (clients send 64 KiB to 8 MiB).
    static let maximumChunkSize = 64 * 1024 * 1024

    private enum State: Sendable {
        case chunkHeader
        case data(remaining: Int)
        case dataEnd
        case trailers
        case done
    }

    private var signer: ChunkSigner?
    private let signedTrailers: Bool
    private var state = State.chunkHeader
    private var line: [UInt8] = []
    private var chunkHash = SHA256()
    private var chunkSignature: String?
    private var isFinalChunk = false
    private var trailerLines: [(name: String, value: String)] = []
    private var trailerSignature: String?
    /// How many data bytes came through.
    public private(set) var decodedLength = 0

    /// `signer` nil: unsigned chunks (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`). `signedTrailers`: the
    /// trailers carry `x-amz-trailer-signature` (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`).
    public init(signer: ChunkSigner?, signedTrailers: Bool) {
        self.signer = signer
        self.signedTrailers = signedTrailers
    }

    /// The body's data in `buffer`, as slices of it. Throws at the first byte that breaks the
    /// framing and at the end of a chunk whose signature does not match.
    public mutating func decode(_ buffer: ByteBuffer) throws(S3Error) -> [ByteBuffer] {
        var buffer = buffer
        var out: [ByteBuffer] = []
        while buffer.readableBytes > 0 {
            switch self.state {
            case .chunkHeader:
                guard let header = try self.readLine(&buffer) else { continue }
                try self.startChunk(header)
            case .data(let remaining):
                let count = min(remaining, buffer.readableBytes)
                let slice = buffer.readSlice(length: count)!
                if self.signer != nil { slice.withUnsafeReadableBytes { self.chunkHash.update(bufferPointer: $0) } }
                self.decodedLength += count
                out.append(slice)
                self.state = remaining == count ? .dataEnd : .data(remaining: remaining - count)
            case .dataEnd:
                guard let rest = try self.readLine(&buffer) else { continue }
                guard rest.isEmpty else { throw Self.malformed("chunk data longer than its size") }
                try self.endChunk()
            case .trailers:
                guard let trailer = try self.readLine(&buffer) else { continue }
                if trailer.isEmpty {
                    try self.endTrailers()
                } else {
                    try self.addTrailer(trailer)
                }
            case .done:
                throw Self.malformed("data after the end of the body")
            }
        }
        return out
    }

    /// Confirms the body ended where it should, and returns its trailers (name lowercased).
    public func finish() throws(S3Error) -> [(name: String, value: String)] {
        guard case .done = self.state else { throw S3Error.incompleteBody("The request body ended before its final chunk") }
        return self.trailerLines
    }

    // MARK: Framing

    /// The next CRLF-terminated line without its CRLF, or nil when the buffer ends first (what was
    /// read waits in `line`).
    private mutating func readLine(_ buffer: inout ByteBuffer) throws(S3Error) -> [UInt8]? {
        while let byte = buffer.readInteger(as: UInt8.self) {
            if byte == UInt8(ascii: "\n") {
                guard self.line.last == UInt8(ascii: "\r") else { throw Self.malformed("a line not ended by CRLF") }
                let line = Array(self.line.dropLast())
                self.line.removeAll(keepingCapacity: true)
                return line
            }
            self.line.append(byte)
            guard self.line.count <= Self.maximumLineLength else { throw Self.malformed("a chunk header line is too long") }
        }
        return nil
    }

    private mutating func startChunk(_ header: [UInt8]) throws(S3Error) {
        let parts = header.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false)
        guard let sizeText = parts.first, !sizeText.isEmpty, sizeText.count <= 8,
            let size = Int(String(decoding: sizeText, as: UTF8.self), radix: 16), size <= Self.maximumChunkSize
        else { throw Self.malformed("a chunk size is not a hexadecimal number up to 64 MiB") }
        self.chunkSignature = nil
        if parts.count == 2 {
            let extensionText = String(decoding: parts[1], as: UTF8.self)
            let prefix = "chunk-signature="
            guard extensionText.hasPrefix(prefix) else { throw Self.malformed("an unknown chunk extension") }
            self.chunkSignature = String(extensionText.dropFirst(prefix.count))
        }
        if self.signer != nil, self.chunkSignature == nil { throw S3Error.signatureDoesNotMatch }
        self.chunkHash = SHA256()
        self.isFinalChunk = size == 0
        self.state = size == 0 ? .dataEnd : .data(remaining: size)
        if size == 0 {
            // The final chunk has no data and, in its place, no CRLF of its own: what follows are trailers.
            try self.endChunk()
        }
    }

    private mutating func endChunk() throws(S3Error) {
        if var signer = self.signer {
            let expected = SigV4.signature(
                SigV4.chunkStringToSign(
                    timestamp: signer.timestamp, scope: signer.scope, previousSignature: signer.previous,
                    chunkSHA256: SigV4.hex(self.chunkHash.finalize())
                ),
                key: signer.key
            )
            guard let given = self.chunkSignature, ConstantTime.equal(given, expected) else { throw S3Error.signatureDoesNotMatch }
            signer.previous = expected
            self.signer = signer
        }
        self.state = self.isFinalChunk ? .trailers : .chunkHeader
    }

    private mutating func addTrailer(_ line: [UInt8]) throws(S3Error) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { throw Self.malformed("a trailer is not NAME:VALUE") }
        let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
        let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingSpaces()
        if name == "x-amz-trailer-signature" {
            guard self.trailerSignature == nil else { throw Self.malformed("two trailer signatures") }
            self.trailerSignature = value
        } else {
            guard self.trailerSignature == nil else { throw Self.malformed("a trailer after the trailer signature") }
            self.trailerLines.append((name, value))
        }
    }

    private mutating func endTrailers() throws(S3Error) {
        if let signer = self.signer {
            if self.signedTrailers {
                let text = self.trailerLines.map { "\($0.name):\($0.value)\n" }.joined()
                let expected = SigV4.signature(
                    SigV4.trailerStringToSign(
                        timestamp: signer.timestamp, scope: signer.scope, previousSignature: signer.previous,
                        trailerSHA256: SigV4.hex(SHA256.hash(data: Array(text.utf8)))
                    ),
                    key: signer.key
                )
                guard let given = self.trailerSignature, ConstantTime.equal(given, expected) else { throw S3Error.signatureDoesNotMatch }
            } else if !self.trailerLines.isEmpty || self.trailerSignature != nil {
                // Nothing in this mode signs trailers: one here was added on the way.
                throw S3Error.signatureDoesNotMatch
            }
        }
        self.state = .done
    }

    private static func malformed(_ problem: String) -> S3Error { S3Error.incompleteBody("The aws-chunked body is malformed: \(problem)") }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
