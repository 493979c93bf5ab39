import Crypto
import Foundation

/// A secret sealed with AES-256-GCM, in the contract's shape: `key` names the master-key version
/// that sealed it, the other fields are base64.
public struct SealedSecret: Sendable, Equatable, Codable {
    public var key: String
    public var iv: String
    public var authTag: String
    public var message: String

    public init(key: String, iv: String, authTag: String, message: String) {
        self.key = key
        self.iv = iv
        self.authTag = authTag
        self.message = message
    }
}

/// Seals and opens provider and repository-key secrets under the master key.
///
/// Each sealed value is bound to what it belongs to (`context`, e.g. the bucket id) as associated
/// data, so a sealed secret copied onto another row does not open there. Several master keys can
/// be held at once: new values are sealed under the first, and values sealed under any of them
/// open, so keys can be rotated by adding one and re-sealing old rows.
public struct SecretSealer: Sendable {
    /// A master key with its version name.
    public struct MasterKey: Sendable {
        public let version: String
        let key: SymmetricKey

        public init(_ material: KeyMaterial) {
            self.key = material.key
            self.version = Self.version(of: material.key)
        }

        /// A short, stable name for a key that reveals nothing usable about it.
        static func version(of key: SymmetricKey) -> String {
            let digest = HMAC<SHA256>.authenticationCode(for: Data("cistern master key version".utf8), using: key)
            return "mk-" + HexDigit.lowercase(Data(digest).prefix(4))
        }
    }

    public let current: MasterKey
    private let all: [String: SymmetricKey]

    public init(current: KeyMaterial, previous: [KeyMaterial] = []) {
        self.current = MasterKey(current)
        var keys: [String: SymmetricKey] = [:]
        for material in [current] + previous {
            let key = MasterKey(material)
            keys[key.version] = key.key
        }
        self.all = keys
    }

    /// The versions of every key this sealer can open with.
    public var versions: Set<String> { Set(self.all.keys) }

    /// Seals `secret` for `context`.
    public func seal(_ secret: SecretValue, context: String) throws -> SealedSecret {
        let box = try AES.GCM.seal(Data(secret.revealed.utf8), using: self.current.key, authenticating: Data(context.utf8))
        return SealedSecret(
            key: self.current.version,
            iv: Data(box.nonce).base64EncodedString(),
            authTag: box.tag.base64EncodedString(),
            message: box.ciphertext.base64EncodedString()
        )
    }

    /// Opens a sealed secret that was sealed for `context`.
    public func open(_ sealed: SealedSecret, context: String) throws(SealingError) -> SecretValue {
        guard let key = self.all[sealed.key] else { throw SealingError(problem: "sealed under unknown master key \(sealed.key)") }
        guard let iv = Data(base64Encoded: sealed.iv), let tag = Data(base64Encoded: sealed.authTag),
            let message = Data(base64Encoded: sealed.message), let nonce = try? AES.GCM.Nonce(data: iv),
            let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: message, tag: tag)
        else { throw SealingError(problem: "sealed value is malformed") }
        guard let plaintext = try? AES.GCM.open(box, using: key, authenticating: Data(context.utf8)) else {
            throw SealingError(problem: "sealed value does not open (wrong key, context or tampered)")
        }
        return SecretValue(String(decoding: plaintext, as: UTF8.self))
    }
}

/// A sealed secret that cannot be opened. Says why, never what.
public struct SealingError: Error, Sendable, CustomStringConvertible {
    public var problem: String
    public var description: String { "secret \(self.problem)" }
}
