import Foundation

extension Data {
    /// base64url without padding (RFC 4648 §5): refresh tokens, repository key secrets, entity tags.
    var base64URLEncodedString: String {
        self.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
