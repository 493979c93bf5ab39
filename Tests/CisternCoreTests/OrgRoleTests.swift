import CisternCore
import Testing

@Suite("Organization roles")
struct OrgRoleTests {
    @Test func rolesAreOrderedByTheirWireValues() {
        #expect(OrgRole.allCases.map(\.rawValue) == [0, 1, 2, 254, 255])
        #expect(OrgRole.allCases == OrgRole.allCases.sorted())
        #expect(OrgRole.administrators > .workspaces)
    }

    @Test func heldLevelsListEveryLevelAtOrBelow() {
        #expect(OrgRole.user.heldLevels == [0])
        #expect(OrgRole.billing.heldLevels == [0, 1])
        #expect(OrgRole.owner.heldLevels == [0, 1, 2, 254, 255])
    }

    @Test func globalAccessStartsAtWorkspaces() {
        #expect(OrgRole.allCases.filter(\.hasGlobalAccess) == [.workspaces, .administrators, .owner])
    }

    @Test func namesMatchTheContract() {
        #expect(OrgRole.allCases.map(\.name) == ["USER", "BILLING", "WORKSPACES", "ADMINISTRATORS", "OWNER"])
    }
}

@Suite("Password policy")
struct PasswordPolicyTests {
    @Test(arguments: ["Passw0rd", "Abcdefg1", "Ünïcödé9a"])
    func acceptsPasswordsWithUpperLowerAndDigit(password: String) {
        #expect(PasswordPolicy.problem(with: password) == nil)
    }

    @Test(arguments: [
        ("Pass0rd", "at least 8"), ("password1", "upper-case"), ("PASSWORD1", "lower-case"), ("Passwords", "digit"),
        (String(repeating: "Aa1", count: 25), "at most 72 bytes"),
    ])
    func refusesWeakPasswordsSayingWhy(password: String, reason: String) throws {
        let problem = try #require(PasswordPolicy.problem(with: password))
        #expect(problem.contains(reason))
    }
}

@Suite("Key material")
struct KeyMaterialTests {
    @Test func acceptsExactly32BytesOfBase64() throws {
        let generated = KeyMaterial.generate()
        _ = try KeyMaterial(base64: generated.base64 + "\n", name: "k")
        #expect(throws: KeyMaterialError.self) { try KeyMaterial(base64: "c2hvcnQ=", name: "k") }
        #expect(throws: KeyMaterialError.self) { try KeyMaterial(base64: "%%% not base64 %%%", name: "k") }
    }

    @Test func errorsNameTheKeyButNeverItsValue() {
        let secretLooking = "c2VjcmV0LXZhbHVlLXRoYXQtaXMtdG9vLXNob3J0"
        do {
            _ = try KeyMaterial(base64: secretLooking, name: "CISTERN_MASTER_KEY")
            Issue.record("a 30-byte key was accepted")
        } catch {
            #expect(error.description.contains("CISTERN_MASTER_KEY"))
            #expect(!error.description.contains(secretLooking))
        }
    }

    @Test func generatedKeysDiffer() {
        #expect(KeyMaterial.generate().base64 != KeyMaterial.generate().base64)
    }
}
