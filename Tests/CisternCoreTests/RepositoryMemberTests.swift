import CisternCore
import Foundation
import Testing

/// How a NORMAL repository's folder is read from a request and turned into key prefixes at the
/// provider: the one rule the management API and the gateway share.
@Suite("Repository member folders")
struct RepositoryMemberTests {
    @Test(arguments: [
        ("reports/2024/", "reports/2024"), ("  team a  ", "team a"), ("a//", "a"), ("", ""), ("/", ""), ("///", ""),
        ("ünï/cødé", "ünï/cødé"),
    ])
    func foldersAreStoredWithoutSurroundingBlanksOrTrailingSlashes(_ given: String, _ stored: String) throws {
        #expect(try RepositoryMember.normalizedFolder(given, field: "repoBuckets[0].folder") == stored)
    }

    @Test(arguments: [
        ("/abs", "must not start with '/'"), ("a//b", "empty, '.' or '..'"), ("a/../b", "empty, '.' or '..'"), ("./a", "empty, '.' or '..'"),
        ("a\u{0}b", "control characters"), ("tab\there", "control characters"), (String(repeating: "x", count: 513), "at most 512"),
    ])
    func badFoldersAreRefusedNamingTheField(_ given: String, _ problem: String) {
        #expect {
            try RepositoryMember.normalizedFolder(given, field: "repoBuckets[3].folder")
        } throws: { error in
            let message = (error as? CisternError)?.message ?? ""
            return message.hasPrefix("repoBuckets[3].folder: ") && message.contains(problem)
        }
    }

    @Test func aFolderOfTheLongestLengthIsAccepted() throws {
        let longest = String(repeating: "x", count: RepositoryMember.maximumFolderLength)
        #expect(try RepositoryMember.normalizedFolder(longest + "/", field: "f") == longest)
    }

    @Test func aFolderIsTheKeyPrefixOfItsObjects() {
        let member = RepositoryMember(bucketId: UUID(), folder: "team a/2024")
        #expect(member.prefix == "team a/2024/")
        #expect(member.providerKey("report.csv") == "team a/2024/report.csv")
        #expect(member.repositoryKey("team a/2024/report.csv") == "report.csv")
        #expect(member.repositoryKey(member.providerKey("x/y/z")) == "x/y/z")
        // A sibling folder sharing the name's start is not inside.
        #expect(member.repositoryKey("team a/2024-old/report.csv") == nil)
        #expect(member.repositoryKey("team a/2024") == nil)
    }

    @Test func aWholeBucketMemberMapsKeysToThemselves() {
        let member = RepositoryMember(bucketId: UUID(), isMaster: true)
        #expect(member.prefix == "")
        #expect(member.providerKey("a/b") == "a/b")
        #expect(member.repositoryKey("a/b") == "a/b")
    }
}
