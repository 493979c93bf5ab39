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
