import CisternCore
import CisternWire
import Foundation
import Hummingbird

/// Small checks that request DTOs share.
enum Validate {
    /// A trimmed, non-empty string of at most `maxLength` characters.
    static func text(_ value: String, field: String, maxLength: Int = 200) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw CisternError.invalid(field, "must not be empty") }
        guard trimmed.count <= maxLength else { throw CisternError.invalid(field, "must be at most \(maxLength) characters") }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw CisternError.invalid(field, "must not contain control characters")
        }
        return trimmed
    }

    /// A plausible e-mail address: one `@` between a non-empty local part and a dotted domain.
    static func email(_ value: String, field: String = "email") throws -> String {
        let email = try text(value, field: field, maxLength: 254)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !email.contains(where: \.isWhitespace)
        else { throw CisternError.invalid(field, "must be an e-mail address") }
        return email
    }

    /// A password meeting `PasswordPolicy`.
    static func password(_ value: String, field: String = "password") throws -> String {
        if let problem = PasswordPolicy.problem(with: value) { throw CisternError.invalid(field, problem) }
        return value
    }

    /// A path parameter that must be a UUID; anything else is a 400 naming it.
    static func uuid(_ parameter: String, in context: some RequestContext) throws -> UUID {
        guard let text = context.parameters.get(parameter), let id = UUID(canonical: text) else {
            throw CisternError.invalid(parameter, "must be a UUID")
        }
        return id
    }
}

extension Validate {
    /// An organization role given by its wire value.
    static func orgRole(_ value: Int, field: String = "orgRole") throws -> OrgRole {
        guard let role = OrgRole(rawValue: value) else {
            throw CisternError.invalid(field, "must be one of " + OrgRole.allCases.map { "\($0.rawValue)" }.joined(separator: ", "))
        }
        return role
    }

    /// A workspace membership role given by name.
    static func workspaceRole(_ value: String, field: String = "role") throws -> WorkspaceRole {
        guard let role = WorkspaceRole(rawValue: value.uppercased()) else {
            throw CisternError.invalid(field, "must be one of " + WorkspaceRole.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return role
    }

    /// A UUID given in a body field.
    static func uuid(_ value: String, field: String) throws -> UUID {
        guard let id = UUID(canonical: value) else { throw CisternError.invalid(field, "must be a UUID") }
        return id
    }
}

extension Validate {
    /// A provider's container name: no spaces, slashes or control characters.
    static func bucketName(_ value: String, field: String = "bucket") throws -> String {
        let name = try text(value, field: field, maxLength: 255)
        guard !name.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "\\" || $0 == "?" || $0 == "#" }) else {
            throw CisternError.invalid(field, "must be a bucket name without spaces, slashes, '?' or '#'")
        }
        return name
    }

    static func storageType(_ value: String, field: String = "storageType") throws -> StorageType {
        guard let type = StorageType(wire: value) else { throw CisternError.invalid(field, "must be one of S3, GCS, BLOB (or AZURE)") }
        return type
    }

    /// A secret is kept exactly as given (a PEM key has meaningful newlines), but must not be blank.
    static func secret(_ value: String, field: String = "secret") throws -> SecretValue {
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw CisternError.invalid(field, "must not be empty") }
        guard value.utf8.count <= 16_384 else { throw CisternError.invalid(field, "must be at most 16384 bytes") }
        return SecretValue(value)
    }

    /// An http(s) URL with a host and nothing after the path; empty means none.
    static func endpoint(_ value: String?, field: String = "endpoint") throws -> String? {
        guard let value, !value.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        let trimmed = try text(value, field: field, maxLength: 2048)
        guard let url = URLComponents(string: trimmed), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil, url.user == nil, url.password == nil
        else { throw CisternError.invalid(field, "must be an http(s) URL such as https://s3.example.com") }
        return trimmed
    }

    /// A region name (`us-east-1`, `auto`, `EU`); empty means none.
    static func region(_ value: String?, field: String = "region") throws -> String? {
        guard let value, !value.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        let region = try text(value, field: field, maxLength: 64)
        guard region.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_" }) else {
            throw CisternError.invalid(field, "must hold only letters, digits, '-' and '_'")
        }
        return region
    }
}
