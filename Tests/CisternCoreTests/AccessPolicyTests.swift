import CisternCore
import Foundation
import Testing

@Suite("Access policy")
struct AccessPolicyTests {
    static let org = UUID()
    static let otherOrg = UUID()

    static func principal(_ role: OrgRole, org: UUID = org) -> Principal {
        Principal(userId: UUID(), email: "x@example.com", orgId: org, orgRole: role, sessionId: UUID())
    }

    static func workspace(membership: WorkspaceRole?, org: UUID = org) -> WorkspaceAccess {
        WorkspaceAccess(workspaceId: UUID(), orgId: org, membership: membership)
    }

    @Test(arguments: [OrgRole.workspaces, .administrators, .owner])
    func globalAccessActsAsAdminInEveryWorkspaceOfItsOrganization(role: OrgRole) {
        for action in [Action.viewWorkspace, .changeWorkspaceContent, .administerWorkspace] {
            #expect(AccessPolicy.decide(Self.principal(role), action, in: Self.workspace(membership: nil)) == .allowed)
        }
        #expect(AccessPolicy.decide(Self.principal(role), .createWorkspace) == .allowed)
        #expect(AccessPolicy.decide(Self.principal(role), .manageOrganizationUsers) == .allowed)
    }

    @Test(arguments: [OrgRole.user, .billing])
    func othersActOnlyThroughMemberships(role: OrgRole) {
        let expected: [(WorkspaceRole?, [AccessDecision])] = [
            // view, change content, administer
            (nil, [.notFound, .notFound, .notFound]),
            (.read, [.allowed, .forbidden, .forbidden]),
            (.write, [.allowed, .allowed, .forbidden]),
            (.admin, [.allowed, .allowed, .allowed]),
        ]
        for (membership, decisions) in expected {
            let actual = [Action.viewWorkspace, .changeWorkspaceContent, .administerWorkspace].map {
                AccessPolicy.decide(Self.principal(role), $0, in: Self.workspace(membership: membership))
            }
            #expect(actual == decisions, "membership \(String(describing: membership))")
        }
        #expect(AccessPolicy.decide(Self.principal(role), .createWorkspace) == .forbidden)
        #expect(AccessPolicy.decide(Self.principal(role), .manageOrganizationUsers) == .forbidden)
    }

    @Test(arguments: OrgRole.allCases)
    func anotherOrganizationsWorkspaceIsIndistinguishableFromAMissingOne(role: OrgRole) {
        for action in [Action.viewWorkspace, .changeWorkspaceContent, .administerWorkspace] {
            // Even a membership row (which cannot legitimately exist across organizations) grants nothing.
            let foreign = Self.workspace(membership: .admin, org: Self.otherOrg)
            #expect(AccessPolicy.decide(Self.principal(role), action, in: foreign) == .notFound)
            #expect(AccessPolicy.decide(Self.principal(role), action, in: nil) == .notFound)
        }
    }

    @Test func readScopeFollowsGlobalAccess() {
        let owner = Self.principal(.owner)
        let user = Self.principal(.user)
        #expect(AccessPolicy.readScope(of: owner) == .organization(Self.org))
        #expect(AccessPolicy.readScope(of: user) == .memberships(orgId: Self.org, userId: user.userId))
    }

    @Test func nobodyGrantsOrManagesAboveTheirOwnRole() {
        let manager = Self.principal(.workspaces)
        #expect(AccessPolicy.mayGrant(.workspaces, by: manager))
        #expect(!AccessPolicy.mayGrant(.administrators, by: manager))
        #expect(AccessPolicy.mayManage(userWith: .billing, by: manager))
        #expect(!AccessPolicy.mayManage(userWith: .owner, by: manager))
        #expect(!AccessPolicy.mayManage(userWith: .user, by: Self.principal(.billing)))
        #expect(AccessPolicy.mayManage(userWith: .owner, by: Self.principal(.owner)))
    }

    @Test func workspaceRolesAreOrdered() {
        #expect(WorkspaceRole.read < .write && WorkspaceRole.write < .admin)
    }
}
