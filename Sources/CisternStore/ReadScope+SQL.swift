import CisternCore
import SQLKit

extension ReadScope {
    /// The SQL condition selecting rows in this scope, given the columns that hold a row's
    /// organization and workspace. Column names come from our own code, never from input.
    func condition(organization: String, workspace: String) -> SQLQueryString {
        switch self {
        case .organization(let orgId):
            return "\(unsafeRaw: organization) = \(bind: orgId.canonical)"
        case .memberships(let orgId, let userId):
            return """
                \(unsafeRaw: organization) = \(bind: orgId.canonical) AND \(unsafeRaw: workspace) IN (
                    SELECT scope_m.workspace_id FROM workspace_members scope_m WHERE scope_m.user_id = \(bind: userId.canonical))
                """
        }
    }
}
