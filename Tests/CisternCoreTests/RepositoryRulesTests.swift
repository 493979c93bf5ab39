import CisternCore
import Foundation
import Testing

@Suite("Repository rules")
struct RepositoryRulesTests {
    let a = UUID()
    let b = UUID()
    let other = UUID()

    func code(_ mode: RepositoryMode, _ members: [RepositoryMember], _ facts: RepositoryFacts) -> String? {
        RepositoryRules.check(mode: mode, members: members, facts: facts)?.code
    }

    var visible: RepositoryFacts { RepositoryFacts(visibleBuckets: [a, b]) }

    @Test func aValidMirrorAndAValidNormalPass() {
        #expect(code(.mirror, [.init(bucketId: a, isMaster: true), .init(bucketId: b)], visible) == nil)
        #expect(code(.normal, [.init(bucketId: a, folder: "x"), .init(bucketId: b, folder: "y")], visible) == nil)
    }

    @Test func invisibleBucketsAreNotFound() {
        #expect(code(.normal, [.init(bucketId: UUID())], visible) == "NOT_FOUND")
    }

    @Test func aMirrorNeedsExactlyOneMaster() {
        #expect(code(.mirror, [], visible) == "MIRROR_MASTER_UNIT_MISSING")
        #expect(code(.mirror, [.init(bucketId: a)], visible) == "MIRROR_MASTER_UNIT_MISSING")
        #expect(
            code(.mirror, [.init(bucketId: a, isMaster: true), .init(bucketId: b, isMaster: true)], visible)
                == "MIRROR_MASTER_UNIT_COUNT_INVALID")
    }

    @Test func normalFoldersAreUniquePerBucket() {
        #expect(code(.normal, [.init(bucketId: a, folder: "x"), .init(bucketId: a, folder: "x")], visible) == "NORMAL_UNIT_FOLDER_ALREADY_USED")
        var facts = visible
        facts.uses[a] = BucketUse(normalFolders: [(other, "x")])
        #expect(code(.normal, [.init(bucketId: a, folder: "x")], facts) == "NORMAL_UNIT_FOLDER_ALREADY_USED")
        #expect(code(.normal, [.init(bucketId: a, folder: "y")], facts) == nil)
    }

    @Test func normalFoldersOfOtherRepositoriesNeverNest() {
        var facts = visible
        facts.uses[a] = BucketUse(normalFolders: [(other, "team/a")])
        for folder in ["team", "team/a/b", "", "team/a"] {
            #expect(code(.normal, [.init(bucketId: a, folder: folder)], facts) == "NORMAL_UNIT_FOLDER_ALREADY_USED", "\(folder)")
        }
        for folder in ["team/ab", "tea", "team/b", "other"] {
            #expect(code(.normal, [.init(bucketId: a, folder: folder)], facts) == nil, "\(folder)")
        }
        facts.uses[a] = BucketUse(normalFolders: [(other, "")])
        #expect(code(.normal, [.init(bucketId: a, folder: "anything")], facts) == "NORMAL_UNIT_FOLDER_ALREADY_USED")
    }

    @Test func aRepositorysMembersHaveDistinctProviderBucketNames() {
        var facts = visible
        facts.bucketNames = [a: "photos", b: "photos"]
        for mode in RepositoryMode.allCases {
            let members = [RepositoryMember(bucketId: a, folder: "", isMaster: true), RepositoryMember(bucketId: b, folder: "")]
            #expect(code(mode, members, facts) == "NORMAL_UNIT_FOLDER_ALREADY_USED", "\(mode)")
        }
        facts.bucketNames[b] = "videos"
        #expect(code(.normal, [.init(bucketId: a, folder: "x"), .init(bucketId: b, folder: "x")], facts) == nil)
        // One bucket twice, whatever the folders.
        #expect(code(.normal, [.init(bucketId: a, folder: "x"), .init(bucketId: a, folder: "y")], facts) == "NORMAL_UNIT_FOLDER_ALREADY_USED")
    }

    @Test func foldersOverlapWhenOneHoldsTheOther() {
        #expect(RepositoryMember.foldersOverlap("a", "a/b") && RepositoryMember.foldersOverlap("a/b", "a"))
        #expect(RepositoryMember.foldersOverlap("", "x") && RepositoryMember.foldersOverlap("x", "x"))
        #expect(!RepositoryMember.foldersOverlap("a", "ab") && !RepositoryMember.foldersOverlap("a/b", "a/c"))
    }

    @Test func mirrorExclusivityHoldsBothWays() {
        var facts = visible
        facts.uses[a] = BucketUse(normalFolders: [(other, "x")])
        #expect(code(.mirror, [.init(bucketId: a, isMaster: true)], facts) == "MIRROR_UNIT_ALREADY_IN_OTHER_REPO")
        facts.uses[a] = BucketUse(mirrorRepositoryId: other)
        #expect(code(.normal, [.init(bucketId: a, folder: "z")], facts) == "MIRROR_UNIT_ALREADY_IN_OTHER_REPO")
        #expect(code(.mirror, [.init(bucketId: a, isMaster: true)], facts) == "MIRROR_UNIT_ALREADY_IN_OTHER_REPO")
    }

    @Test func nameAndQuota() {
        var facts = visible
        facts.nameTaken = true
        #expect(code(.normal, [.init(bucketId: a)], facts) == "NAME_ALREADY_USED")
        facts.nameTaken = false
        facts.repositoryCount = 3
        facts.repositoryLimit = 3
        #expect(code(.normal, [.init(bucketId: a)], facts) == "QUOTA_EXCEEDED")
        facts.currentMembers = []
        #expect(code(.normal, [.init(bucketId: a)], facts) == nil, "an update adds no repository")
    }

    @Test func updatesKeepFoldersOfStayingBucketsAndKeepNonEmptyOnes() {
        var facts = visible
        let kept = RepositoryMember(bucketId: a, folder: "x")
        let dropped = RepositoryMember(bucketId: b, folder: "y")
        facts.currentMembers = [kept, dropped]
        #expect(code(.normal, [.init(bucketId: a, folder: "renamed")], facts) == "NORMAL_UNIT_CANNOT_EDIT_FOLDER")
        #expect(code(.normal, [kept], facts) == nil)
        facts.nonEmptyFolders = [dropped]
        #expect(code(.normal, [kept], facts) == "NORMAL_UNIT_FOLDER_CANNOT_DELETE")
        #expect(RepositoryRules.droppedMembers(current: [kept, dropped], next: [kept]) == [dropped])
    }

    @Test func errorsCarryTheirStatusAndTheRepositoryShape() throws {
        let error = try #require(RepositoryRules.check(mode: .mirror, members: [], facts: visible, repoId: a))
        #expect(error.kind == .badRequest)
        #expect(error.shape == .repository(repoId: a.canonical))
        #expect(RepositoryErrorCode.mirrorUnitInOtherRepository.kind == .conflict)
        #expect(RepositoryErrorCode.quotaExceeded.kind == .tooManyRequests)
    }
}
