import Foundation
import HTTPTypes
import Hummingbird

/// Who is on the other end of a request. Behind a reverse proxy every connection comes from the
/// proxy, so when the peer is one of the `trustedProxies` the client is read from
/// `X-Forwarded-For`: the right-most address there that is not itself a trusted proxy (the
/// entries to its left were written by the client and prove nothing). From any other peer the
/// header is ignored, so a client cannot choose the address it is counted under.
struct ClientAddress: Sendable {
    let trustedProxies: Set<String>

    func of(_ request: Request, peer: String) -> String {
        Self.resolve(peer: peer, forwardedFor: request.headers[values: .xForwardedFor], trusted: self.trustedProxies)
    }

    static func resolve(peer: String, forwardedFor: [String], trusted: Set<String>) -> String {
        guard trusted.contains(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() where !trusted.contains(hop) {
            return hop.isEmpty || hop.utf8.count > 64 ? peer : hop
        }
        return peer
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
