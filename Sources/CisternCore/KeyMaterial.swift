import Crypto
import Foundation

/// A 256-bit key, given as base64: the JWT signing key and the master key for secret sealing
/// are both of this form. Construction fails on anything that is not exactly 32 bytes.
public struct KeyMaterial: Sendable {
    public let key: SymmetricKey

    public init(base64 text: String, name: String) throws(KeyMaterialError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: trimmed) else {
            throw KeyMaterialError(name: name, problem: "is not valid base64")
        }
        guard data.count == 32 else {
            throw KeyMaterialError(name: name, problem: "must be 32 bytes (256 bits), got \(data.count)")
        }
        self.key = SymmetricKey(data: data)
    }

    /// A fresh random key.
    public static func generate() -> (material: KeyMaterial, base64: String) {
        let key = SymmetricKey(size: .bits256)
        let base64 = key.withUnsafeBytes { Data($0).base64EncodedString() }
        return (try! KeyMaterial(base64: base64, name: "generated"), base64)
    }
}

/// A supplied key that cannot be used; the description names the key, never its value.
public struct KeyMaterialError: Error, Sendable, CustomStringConvertible {
    public var name: String
    public var problem: String
    public var description: String { "\(self.name) \(self.problem)" }
}
