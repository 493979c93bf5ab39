import Foundation

/// The form in which names and e-mail addresses are compared for uniqueness: trimmed and
/// lower-cased, so `Ada@Example.com` and `ada@example.com ` are one address. Stored beside the
/// original in a `*_key` column that a unique index covers.
package enum NameKey {
    package static func of(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}
