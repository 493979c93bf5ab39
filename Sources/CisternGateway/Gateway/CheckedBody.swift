import AsyncHTTPClient
import CisternProviders
import Crypto
import Foundation
import NIOCore
import Synchronization

/// What a request body must prove before the gateway lets its last byte go upstream: the chunk
/// and trailer signatures of an `aws-chunked` body, its declared SHA-256, `Content-MD5`, the
/// `x-amz-checksum-*` values (as headers or as trailers) and its length.
struct BodyChecks: Sendable {
    var decoder: AWSChunkedDecoder?
    /// The hex SHA-256 `x-amz-content-sha256` declares.
    var sha256: String?
    /// Checksums whose values came as headers.
    var declared: [(algorithm: ChecksumAlgorithm, value: String)] = []
    /// The checksum a trailer will carry (`x-amz-trailer`).
    var trailer: ChecksumAlgorithm?
    /// The body's length once decoded.
    var length: Int

    /// The checks `request` asks for, or the S3 error of a malformed declaration.
    init(_ request: ReceivedRequest, signature: VerifiedSignature) throws(S3Error) {
        if signature.payload.isChunked {
            self.decoder = AWSChunkedDecoder(signer: signature.chunkSigner, signedTrailers: signature.payload == .streamingSignedTrailer)
            guard let decoded = request.header("x-amz-decoded-content-length").flatMap(Int.init), decoded >= 0 else {
                throw S3Error("MissingContentLength", "An aws-chunked body needs x-amz-decoded-content-length", status: 411)
            }
            self.length = decoded
        } else {
            guard let length = request.header("content-length").flatMap(Int.init), length >= 0 else {
                throw S3Error("MissingContentLength", "You must provide the Content-Length HTTP header.", status: 411)
            }
            self.length = length
        }
        if case .sha256(let hash) = signature.payload { self.sha256 = hash }
        for algorithm in ChecksumAlgorithm.allCases {
            guard let value = request.header(algorithm.headerName) else { continue }
            guard let digest = Data(base64Encoded: value), digest.count == algorithm.digestLength else {
                throw algorithm == .md5
                    ? S3Error.invalidDigest("The Content-MD5 you specified is not valid.")
                    : S3Error.invalidRequest("Value for \(algorithm.headerName) header is invalid.")
            }
            self.declared.append((algorithm, value))
        }
        if let name = request.header("x-amz-trailer") {
            guard self.decoder != nil, let algorithm = ChecksumAlgorithm(headerName: name.trimmingSpaces()), algorithm != .md5 else {
                throw S3Error.invalidRequest("x-amz-trailer must name one x-amz-checksum-* header of an aws-chunked body")
            }
            self.trailer = algorithm
        }
    }
}

/// A request body as it goes upstream: decoded from `aws-chunked` when it is, hashed as it passes,
/// and always one piece behind, so that the last piece leaves only once every check has passed.
/// A check that fails throws instead, and the upstream write is abandoned short of its end.
struct CheckedBody<Source: AsyncSequence & Sendable>: AsyncSequence, Sendable where Source.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let source: Source
    let checks: BodyChecks
    /// The check that failed, kept for whoever reads the upstream write's error (the HTTP client
    /// may report the abandoned write in its own words).
    let failure = FailureBox()

    func makeAsyncIterator() -> Iterator { Iterator(source: self.source.makeAsyncIterator(), checks: self.checks, failure: self.failure) }

    final class FailureBox: Sendable {
        private let error = Mutex<S3Error?>(nil)
        var value: S3Error? { self.error.withLock { $0 } }
        func record(_ error: S3Error) { self.error.withLock { $0 = $0 ?? error } }
    }

    struct Iterator: AsyncIteratorProtocol {
        var source: Source.AsyncIterator
        var checks: BodyChecks
        let failure: FailureBox
        var sha256 = SHA256()
        var checksummers: [Checksummer]
        var queue: [ByteBuffer] = []
        var received = 0
        var ended = false

        init(source: Source.AsyncIterator, checks: BodyChecks, failure: FailureBox) {
            self.source = source
            self.checks = checks
            self.failure = failure
            var algorithms = checks.declared.map(\.algorithm)
            if let trailer = checks.trailer, !algorithms.contains(trailer) { algorithms.append(trailer) }
            self.checksummers = algorithms.map(Checksummer.init)
        }

        /// Returns `piece` to the front: the next `next()` gives it again.
        mutating func pushBack(_ piece: ByteBuffer) { self.queue.insert(piece, at: 0) }

        mutating func next() async throws -> ByteBuffer? {
            do {
                return try await self.nextPiece()
            } catch let error as S3Error {
                self.failure.record(error)
                throw error
            }
        }

        private mutating func nextPiece() async throws -> ByteBuffer? {
            while !self.ended && self.queue.count < 2 {
                guard let buffer = try await self.source.next() else {
                    try self.finish()
                    self.ended = true
                    break
                }
                var pieces = [buffer]
                if var decoder = self.checks.decoder {
                    pieces = try decoder.decode(buffer)
                    self.checks.decoder = decoder
                }
                for piece in pieces where piece.readableBytes > 0 {
                    self.take(piece)
                    self.queue.append(piece)
                }
            }
            return self.queue.isEmpty ? nil : self.queue.removeFirst()
        }

        private mutating func take(_ piece: ByteBuffer) {
            self.received += piece.readableBytes
            piece.withUnsafeReadableBytes { bytes in
                if self.checks.sha256 != nil { self.sha256.update(bufferPointer: bytes) }
                for index in self.checksummers.indices { self.checksummers[index].update(bytes) }
            }
        }

        /// Every check, once the whole body has been seen.
        private mutating func finish() throws {
            var trailers: [(name: String, value: String)] = []
            if let decoder = self.checks.decoder { trailers = try decoder.finish() }
            guard self.received == self.checks.length else {
                throw S3Error.incompleteBody("You did not provide the number of bytes specified by the Content-Length HTTP header")
            }
            if let expected = self.checks.sha256, SigV4.hex(self.sha256.finalize()) != expected { throw S3Error.contentSHA256Mismatch }
            var expected = self.checks.declared
            if let trailer = self.checks.trailer {
                guard let value = trailers.first(where: { $0.name == trailer.headerName })?.value else {
                    throw S3Error.incompleteBody("The trailer \(trailer.headerName) the request announced did not come")
                }
                expected.append((trailer, value))
            }
            for (algorithm, value) in expected {
                guard let checksummer = self.checksummers.first(where: { $0.algorithm == algorithm }), checksummer.base64() == value else {
                    throw algorithm == .md5
                        ? S3Error.badDigest("The Content-MD5 you specified did not match what we received.")
                        : S3Error.badDigest("The \(algorithm.rawValue) you specified did not match the calculated checksum.")
                }
            }
        }
    }
}

/// Where a write's bytes come from, a piece at a time: the client's checked body, or (for a
/// repair) another member's object. A piece read past what was wanted is put back.
protocol BodyPieces {
    mutating func next() async throws -> ByteBuffer?
    mutating func pushBack(_ piece: ByteBuffer)
}

extension CheckedBody.Iterator: BodyPieces {}

/// A provider's response body as `BodyPieces`.
struct ProviderPieces: BodyPieces {
    var source: HTTPClientResponse.Body.AsyncIterator
    var queue: [ByteBuffer] = []

    init(_ body: HTTPClientResponse.Body) { self.source = body.makeAsyncIterator() }

    mutating func pushBack(_ piece: ByteBuffer) { self.queue.insert(piece, at: 0) }

    mutating func next() async throws -> ByteBuffer? {
        if !self.queue.isEmpty { return self.queue.removeFirst() }
        return try await self.source.next()
    }
}
