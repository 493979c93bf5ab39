import CisternCore
import CisternGateway
import CisternProviders
import Foundation
import NIOCore
import Testing

/// `aws-chunked` bodies against AWS's published examples (66,560 bytes of `a` in chunks of 64 KiB
/// and 1 KiB, signed; and the same with a signed CRC-32C trailer): the request verifies, the
/// chunks decode in any slicing, and any change to data, signatures, order or trailers is refused.
@Suite("aws-chunked decoder")
struct AWSChunkedDecoderTests {
    struct Example {
        var mode: String
        var signedHeaders: String
        var seed: String
        var chunkSignatures: [String]
        var trailer: String?
        var trailerSignature: String?

        var request: ReceivedRequest {
            var headers = [
                ("Host", "s3.amazonaws.com"), ("x-amz-date", "20130524T000000Z"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ("x-amz-content-sha256", self.mode), ("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", "66560"),
                ("Content-Length", "66824"),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                        + "SignedHeaders=\(self.signedHeaders), Signature=\(self.seed)"
                ),
            ]
            if self.trailer != nil { headers.append(("x-amz-trailer", "x-amz-checksum-crc32c")) }
            return ReceivedRequest(method: "PUT", path: "/examplebucket/chunkObject.txt", query: "", headers: headers)
        }

        func body(chunks: [(data: String, signature: String)]? = nil) -> String {
            let chunks = chunks ?? [(Self.chunk1, self.chunkSignatures[0]), (Self.chunk2, self.chunkSignatures[1])]
            var body = chunks.map { "\(String($0.data.utf8.count, radix: 16));chunk-signature=\($0.signature)\r\n\($0.data)\r\n" }.joined()
            body += "0;chunk-signature=\(self.chunkSignatures[2])\r\n"
            if let trailer, let trailerSignature { body += "\(trailer)\r\nx-amz-trailer-signature:\(trailerSignature)\r\n" }
            return body + "\r\n"
        }

        static let chunk1 = String(repeating: "a", count: 65536)
        static let chunk2 = String(repeating: "a", count: 1024)
    }

    static let secret = SecretValue("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let at = SigV4.date(fromTimestamp: "20130524T000000Z")!

    static let signed = Example(
        mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        signedHeaders: "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
        seed: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        chunkSignatures: [
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
        ]
    )

    static let signedTrailer = Example(
        mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        signedHeaders: "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
        seed: "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
        chunkSignatures: [
            "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
            "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
            "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
        ],
        trailer: "x-amz-checksum-crc32c:sOO8/Q==",
        trailerSignature: "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
    )

    /// The example's decoder, from its verified seed signature.
    static func decoder(_ example: Example) throws -> AWSChunkedDecoder {
        let claim = try #require(try SigV4Verifier.claim(of: example.request, now: Self.at))
        let verified = try SigV4Verifier.verify(claim, of: example.request, secret: Self.secret)
        return AWSChunkedDecoder(signer: verified.chunkSigner, signedTrailers: verified.payload == .streamingSignedTrailer)
    }

    /// Feeds `body` in pieces of `slice` bytes; the data out, and the trailers.
    static func decode(_ body: String, with decoder: AWSChunkedDecoder, slice: Int) throws -> (data: [UInt8], trailers: [String: String]) {
        var decoder = decoder
        let bytes = Array(body.utf8)
        var data: [UInt8] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + slice, bytes.count)
            for piece in try decoder.decode(ByteBuffer(bytes: bytes[start..<end])) { data += Array(buffer: piece) }
            start = end
        }
        let trailers = try decoder.finish()
        return (data, Dictionary(uniqueKeysWithValues: trailers.map { ($0.name, $0.value) }))
    }

    @Test(arguments: [1, 7, 4096, 65_600, 1 << 20])
    func theSignedExampleDecodesInAnySlicing(_ slice: Int) throws {
        let decoded = try Self.decode(Self.signed.body(), with: try Self.decoder(Self.signed), slice: slice)
        #expect(decoded.data == Array((Example.chunk1 + Example.chunk2).utf8))
        #expect(decoded.trailers.isEmpty)
    }

    @Test func theSignedTrailerExampleCarriesACRC32CThatMatchesTheData() throws {
        let decoded = try Self.decode(Self.signedTrailer.body(), with: try Self.decoder(Self.signedTrailer), slice: 10_000)
        #expect(decoded.data.count == 66_560)
        #expect(decoded.trailers == ["x-amz-checksum-crc32c": "sOO8/Q=="])
        var crc = Checksummer(.crc32c)
        crc.update(decoded.data)
        #expect(crc.base64() == "sOO8/Q==")
    }

    @Test func anyChangeToASignedBodyIsRefused() throws {
        let example = Self.signed
        let sigs = example.chunkSignatures
        let good = example.body()
        let tampered: [(String, String)] = [
            ("a data byte", good.replacingOccurrences(of: "a\r\n400;", with: "b\r\n400;")),
            ("a chunk signature", good.replacingOccurrences(of: sigs[1], with: String(repeating: "0", count: 64))),
            ("a missing chunk signature", good.replacingOccurrences(of: "400;chunk-signature=\(sigs[1])", with: "400")),
            ("the final signature", good.replacingOccurrences(of: sigs[2], with: sigs[1])),
            ("chunks reordered", example.body(chunks: [(Example.chunk2, sigs[1]), (Example.chunk1, sigs[0])])),
            ("a chunk dropped", example.body(chunks: [(Example.chunk1, sigs[0])])),
            ("a chunk added", example.body(chunks: [(Example.chunk1, sigs[0]), (Example.chunk2, sigs[1]), ("a", sigs[2])])),
            ("a trailer added", String(good.dropLast(1)) + "x-amz-checksum-crc32:NSRBwg==\r\n\r\n"),
        ]
        for (name, body) in tampered {
            #expect(throws: S3Error.signatureDoesNotMatch, "\(name)") { _ = try Self.decode(body, with: try Self.decoder(example), slice: 8192) }
        }
    }

    @Test func anyChangeToSignedTrailersIsRefused() throws {
        let example = Self.signedTrailer
        let good = example.body()
        let tampered: [(String, String)] = [
            ("the checksum", good.replacingOccurrences(of: "sOO8/Q==", with: "AAAAAA==")),
            ("a trailer added", good.replacingOccurrences(of: "sOO8/Q==\r\n", with: "sOO8/Q==\r\nx-amz-meta-extra:1\r\n")),
            ("the trailer dropped", good.replacingOccurrences(of: "x-amz-checksum-crc32c:sOO8/Q==\r\n", with: "")),
            ("the trailer signature", good.replacingOccurrences(of: example.trailerSignature!, with: example.seed)),
            ("no trailer signature", good.replacingOccurrences(of: "x-amz-trailer-signature:\(example.trailerSignature!)\r\n", with: "")),
        ]
        for (name, body) in tampered {
            #expect(throws: S3Error.signatureDoesNotMatch, "\(name)") { _ = try Self.decode(body, with: try Self.decoder(example), slice: 8192) }
        }
    }

    @Test func aBodyCutShortOrMalformedIsAnIncompleteBody() throws {
        let good = Self.signed.body()
        for body in [String(good.prefix(60_000)), String(good.dropLast(1)), "zz;chunk-signature=x\r\n", "10\nabc"] {
            #expect("\(body.suffix(12))") {
                _ = try Self.decode(body, with: try Self.decoder(Self.signed), slice: 4096)
            } throws: { error in
                (error as? S3Error)?.code == "IncompleteBody"
            }
        }
    }

    @Test func unsignedChunksWithATrailerDecode() throws {
        let body = "5\r\nhello\r\n7\r\n, world\r\n0\r\nx-amz-checksum-crc32:\(Self.crc32("hello, world"))\r\n\r\n"
        let decoded = try Self.decode(body, with: AWSChunkedDecoder(signer: nil, signedTrailers: false), slice: 3)
        #expect(String(decoding: decoded.data, as: UTF8.self) == "hello, world")
        #expect(decoded.trailers == ["x-amz-checksum-crc32": Self.crc32("hello, world")])
    }

    static func crc32(_ text: String) -> String {
        var crc = Checksummer(.crc32)
        crc.update(Array(text.utf8))
        return crc.base64()
    }
}
