import CisternCore
import CisternWire
import Foundation
import Hummingbird

extension Request {
    /// An optional UUID query parameter. Empty values and the literal `undefined` or `null`
    /// (which the public TypeScript client sends for absent values) count as absent; anything
    /// else that is not a UUID is a 400 naming the parameter.
    func optionalUUID(_ name: String) throws -> UUID? {
        let value = self.uri.queryParameters[name[...]].map { String($0) } ?? ""
        guard !["", "undefined", "null"].contains(value) else { return nil }
        guard let id = UUID(canonical: value) else { throw CisternError.invalid(name, "must be a UUID") }
        return id
    }
}
