import CisternCore
import Foundation

/// A bucket's custom `endpoint` (an S3-compatible service, an emulator, a sovereign cloud), read
/// the same way for every provider: an http(s) URL whose path, if any, prefixes every request.
struct ProviderEndpoint {
    let scheme: String
    let host: String
    let port: Int?
    /// The endpoint's own path without a trailing slash (`""` for none).
    let basePath: String

    init(_ endpoint: String) throws(ProviderError) {
        guard let url = URLComponents(string: endpoint), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { throw ProviderError(status: .disconnected, reason: "endpoint is not an http(s) URL") }
        self.scheme = scheme
        self.host = host
        self.port = url.port
        self.basePath = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
    }

    /// `scheme://host[:port]`
    var origin: String { "\(self.scheme)://\(self.host)" + (self.port.map { ":\($0)" } ?? "") }

    /// `?name=value&...` with both sides percent-encoded as the signers expect, or `""`.
    static func queryString(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        return "?" + query.map { "\(SigV4.encode($0.0))=\(SigV4.encode($0.1))" }.joined(separator: "&")
    }
}
