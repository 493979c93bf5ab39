import CisternCore
import Foundation

/// New repository key credentials: an S3-style access key id and a 40-character secret.
enum RepositoryKeyGenerator {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    /// 20 upper-case letters and digits, uniformly random.
    static func accessKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// 30 random bytes as 40 characters of base64url.
    static func secret() -> SecretValue {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<30).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return SecretValue(Data(bytes).base64URLEncodedString)
    }
}
