import CisternCore
import Foundation
import Testing

/// Sealing is what keeps provider and repository-key secrets out of the database in plaintext:
/// a value opens only on its own row, under a key the process holds, and only untouched.
@Suite("Secret sealer")
struct SecretSealerTests {
    static let plaintext = SecretValue("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    let bucketId = UUID()

    @Test func aValueOpensUnderItsOwnContextAndNoOther() throws {
        let sealer = SecretSealer(current: KeyMaterial.generate().material)
        let sealed = try sealer.seal(Self.plaintext, context: Bucket.sealingContext(self.bucketId))
        #expect(try sealer.open(sealed, context: Bucket.sealingContext(self.bucketId)) == Self.plaintext)
        #expect(!sealed.message.contains(Self.plaintext.revealed) && Data(base64Encoded: sealed.message) != Data(Self.plaintext.revealed.utf8))
        // Another bucket's row, a repository key with the same id, and no context at all.
        for other in [Bucket.sealingContext(UUID()), RepositoryKey.sealingContext(self.bucketId), ""] {
            #expect(throws: SealingError.self, "context \(other)") { try sealer.open(sealed, context: other) }
        }
    }

    @Test func sealingTheSameValueTwiceGivesDifferentCiphertexts() throws {
        let sealer = SecretSealer(current: KeyMaterial.generate().material)
        let context = Bucket.sealingContext(self.bucketId)
        let first = try sealer.seal(Self.plaintext, context: context)
        let second = try sealer.seal(Self.plaintext, context: context)
        #expect(first.iv != second.iv && first.message != second.message)
    }

    @Test func aValueSealedUnderAPreviousKeyStillOpensAfterRotation() throws {
        let old = KeyMaterial.generate().material
        let new = KeyMaterial.generate().material
        let context = RepositoryKey.sealingContext(UUID())
        let sealedBefore = try SecretSealer(current: old).seal(Self.plaintext, context: context)

        let rotated = SecretSealer(current: new, previous: [old])
        #expect(try rotated.open(sealedBefore, context: context) == Self.plaintext)
        #expect(rotated.versions == [SecretSealer(current: old).current.version, rotated.current.version])
        // New values go under the new key, and the old key alone cannot open them.
        let sealedAfter = try rotated.seal(Self.plaintext, context: context)
        #expect(sealedAfter.key == rotated.current.version && sealedAfter.key != sealedBefore.key)
        #expect(throws: SealingError.self) { try SecretSealer(current: old).open(sealedAfter, context: context) }
        // Without the previous key, the old value names its missing key version and nothing else.
        #expect {
            try SecretSealer(current: new).open(sealedBefore, context: context)
        } throws: { error in
            "\(error)".contains(sealedBefore.key) && !"\(error)".contains(Self.plaintext.revealed)
        }
    }

    @Test(arguments: ["iv", "authTag", "message"])
    func aFlippedByteInAnyPartFailsWithoutEchoingThePlaintext(_ part: String) throws {
        let sealer = SecretSealer(current: KeyMaterial.generate().material)
        let context = Bucket.sealingContext(self.bucketId)
        let sealed = try sealer.seal(Self.plaintext, context: context)
        let length = Data(base64Encoded: Self.field(part, of: sealed))!.count
        for position in [0, length / 2, length - 1] {
            var tampered = sealed
            var bytes = Data(base64Encoded: Self.field(part, of: sealed))!
            bytes[position] ^= 0x01
            switch part {
            case "iv": tampered.iv = bytes.base64EncodedString()
            case "authTag": tampered.authTag = bytes.base64EncodedString()
            default: tampered.message = bytes.base64EncodedString()
            }
            #expect("\(part) byte \(position)") {
                try sealer.open(tampered, context: context)
            } throws: { error in
                let text = "\(error)"
                return error is SealingError && !text.contains(Self.plaintext.revealed) && !text.contains("wJalr")
            }
        }
    }

    @Test func aFlippedKeyVersionOrMalformedBase64FailsCleanly() throws {
        let sealer = SecretSealer(current: KeyMaterial.generate().material)
        let context = Bucket.sealingContext(self.bucketId)
        let sealed = try sealer.seal(Self.plaintext, context: context)
        var wrongVersion = sealed
        wrongVersion.key = "mk-00000000"
        var notBase64 = sealed
        notBase64.message = "%%%"
        var shortNonce = sealed
        shortNonce.iv = Data([1, 2, 3]).base64EncodedString()
        for broken in [wrongVersion, notBase64, shortNonce] {
            #expect(throws: SealingError.self) { try sealer.open(broken, context: context) }
        }
    }

    @Test func aPlaintextNeverShowsInADescription() {
        #expect("\(Self.plaintext)" == "<redacted>")
        #expect(String(reflecting: Self.plaintext) == "<redacted>")
    }

    static func field(_ part: String, of sealed: SealedSecret) -> String {
        switch part {
        case "iv": sealed.iv
        case "authTag": sealed.authTag
        default: sealed.message
        }
    }
}
