import CisternGateway
import Foundation
import Testing

/// Every checksum S3 clients send, against its published check value, and the table-driven CRCs
/// against a bit-at-a-time reference on bodies of every length around the 8-byte steps.
@Suite("Checksums")
struct ChecksumTests {
    static func digest(_ algorithm: ChecksumAlgorithm, _ bytes: [UInt8]) -> [UInt8] {
        var checksummer = Checksummer(algorithm)
        checksummer.update(bytes)
        return checksummer.digest()
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func theCRCsMatchTheirCheckValues() {
        let check = Array("123456789".utf8)
        #expect(Self.hex(Self.digest(.crc32, check)) == "cbf43926")
        #expect(Self.hex(Self.digest(.crc32c, check)) == "e3069283")
        #expect(Self.hex(Self.digest(.crc64nvme, check)) == "ae8b14860a799888")
    }

    @Test func theHashesMatchTheirTestVectors() {
        let abc = Array("abc".utf8)
        #expect(Self.hex(Self.digest(.sha1, abc)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(Self.hex(Self.digest(.sha256, abc)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Self.hex(Self.digest(.md5, abc)) == "900150983cd24fb0d6963f7d28e17f72")
    }

    @Test func headersNameTheirAlgorithm() {
        #expect(ChecksumAlgorithm(headerName: "X-Amz-Checksum-CRC64NVME") == .crc64nvme)
        #expect(ChecksumAlgorithm(headerName: "Content-MD5") == .md5)
        #expect(ChecksumAlgorithm(headerName: "x-amz-checksum-crc16") == nil)
        for algorithm in ChecksumAlgorithm.allCases {
            #expect(Self.digest(algorithm, []).count == algorithm.digestLength)
        }
    }

    /// A CRC one bit at a time: slow, and plainly right.
    static func reference(_ bytes: [UInt8], polynomial: UInt64, width: Int) -> UInt64 {
        let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
        var crc = mask
        for byte in bytes {
            crc ^= UInt64(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
        }
        return ~crc & mask
    }

    @Test func theTableDrivenCRCsAgreeWithTheReferenceAtEveryLength() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<300).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let cases: [(ChecksumAlgorithm, UInt64, Int)] = [
            (.crc32, 0xEDB8_8320, 32), (.crc32c, 0x82F6_3B78, 32), (.crc64nvme, 0x9A6C_9329_AC4B_C9B5, 64),
        ]
        for (algorithm, polynomial, width) in cases {
            for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 300] {
                let slice = Array(bytes.prefix(length))
                let expected = Self.reference(slice, polynomial: polynomial, width: width)
                let digest = Self.digest(algorithm, slice).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                #expect(digest == expected, "\(algorithm) over \(length) bytes")
            }
        }
    }

    @Test func updatingInPiecesEqualsUpdatingOnce() {
        let bytes = Array((0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        for algorithm in ChecksumAlgorithm.allCases {
            var pieces = Checksummer(algorithm)
            var start = 0
            for size in [1, 3, 8, 13, 100, 4096] where start < bytes.count {
                pieces.update(bytes[start..<min(start + size, bytes.count)])
                start += size
            }
            pieces.update(bytes[start...])
            #expect(pieces.digest() == Self.digest(algorithm, bytes), "\(algorithm)")
        }
    }
}
