import Foundation

/// A reference file under `Fixtures/` beside these tests, decoded.
func loadFixture<T: Decodable>(_ name: String, as type: T.Type) -> T {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
    return try! JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}
