import CisternCore
import CisternStore
import CisternWire
import Foundation
import Testing

@testable import CisternAPI

/// The hand-written `GET /bucket/available` body is byte for byte what the JSON encoder of every
/// other response writes for its wire type (`AvailableBucket`, which clients decode), for any text a user can put in a name, key or bucket and any instant.
@Suite("JSON writer")
struct JSONWriterTests {
    static let awkwardTexts = [
        "plain", "", "quote \" and backslash \\ and slash /", "tab\tnew\nline\rcarriage", "\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}\u{7f}",
        "ünïcødé ✓ 𝄞 and emoji 🪣", "\u{2028}\u{2029}", "<script>alert(1)</script>", "'; DROP TABLE buckets; --", "$(rm -rf /)",
        String(repeating: "x", count: 5000),
    ]

    static let instants: [Double] = [
        0, 0.999, 951_782_400, 951_868_799.5, 1_767_225_600.123, 4_107_542_400, 253_402_300_799, 1_700_000_000.000_5, 86_399.999,
    ]

    @Test func theAvailableListMatchesTheEncoderByteForByte() throws {
        var summaries: [BucketSummary] = []
        for (index, text) in Self.awkwardTexts.enumerated() {
            let instant = Self.instants[index % Self.instants.count]
            summaries.append(
                BucketSummary(
                    id: UUID(), name: text, storageType: StorageType.allCases[index % StorageType.allCases.count], bucket: "b-\(text)",
                    key: text + "k", status: index % 4 == 0 ? nil : BucketStatus.allCases[index % BucketStatus.allCases.count],
                    workspaceId: UUID(), createdAt: Date(timeIntervalSince1970: instant)
                )
            )
        }
        for instant in Self.instants {
            summaries.append(
                BucketSummary(
                    id: UUID(), name: "n", storageType: .s3, bucket: "b", key: "k", status: .online, workspaceId: UUID(),
                    createdAt: Date(timeIntervalSince1970: instant)
                )
            )
        }
        // Long lists too: the writer moves its bytes into the buffer in chunks of 32 KiB.
        let long = Array(repeating: summaries, count: 40).flatMap { $0 }
        for slice in [[], Array(summaries.prefix(1)), summaries, long] {
            let expected = try JSONBody.encoder().encode(slice.map(AvailableBucket.init))
            let written = AvailableBucketsResponse.json(slice)
            #expect(written.readableBytes == expected.count)
            #expect(String(buffer: written) == String(decoding: expected, as: UTF8.self))
        }
    }
}
