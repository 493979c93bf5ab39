import CisternCore
import Foundation
import Testing

@Suite("Canonical UUID text")
struct CanonicalUUIDTests {
    @Test func theTextFormParsesInEitherCaseAndAgreesWithFoundation() {
        // (Foundation's own parser also takes " 3f0c…" with a leading blank; this one does not.)
        for _ in 0..<1000 {
            let id = UUID()
            #expect(UUID(canonical: id.uuidString.lowercased()) == id)
            #expect(UUID(canonical: id.uuidString) == id)
            #expect(id.canonical == id.uuidString.lowercased())
        }
    }

    @Test(arguments: [
        "", "not-a-uuid", "3f0c2a5e-8d4b-4c1e-9a7f-2b6d8e1c4a9", "3f0c2a5e-8d4b-4c1e-9a7f-2b6d8e1c4a900",
        "3f0c2a5e08d4b-4c1e-9a7f-2b6d8e1c4a90", "3f0c2a5e-8d4b-4c1e-9a7f-2b6d8e1c4a9g", "3f0c2a5e-8d4b-4c1e-9a7f-2b6d8e1c4a9é",
        "3f0c2a5e-8d4b-4c1e-9a7f2-b6d8e1c4a90", " 3f0c2a5e-8d4b-4c1e-9a7f-2b6d8e1c4a9",
    ])
    func anythingElseIsRefused(text: String) {
        #expect(UUID(canonical: text) == nil)
    }
}

@Suite("Time-ordered UUIDs")
struct TimeOrderedUUIDTests {
    @Test func theyAreVersion7AndSortInTheOrderTheyWereMade() {
        let ids = (0..<10_000).map { _ in UUID.timeOrdered() }
        #expect(ids.map(\.canonical) == ids.map(\.canonical).sorted())
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            let text = id.canonical
            #expect(text[text.index(text.startIndex, offsetBy: 14)] == "7")
            #expect("89ab".contains(text[text.index(text.startIndex, offsetBy: 19)]))
        }
        // The first 48 bits are the wall clock's milliseconds.
        let milliseconds = UInt64(ids[0].canonical.replacingOccurrences(of: "-", with: "").prefix(12), radix: 16)!
        #expect(abs(Double(milliseconds) / 1000 - Date().timeIntervalSince1970) < 60)
    }
}
