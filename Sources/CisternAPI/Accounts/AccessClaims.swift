import CisternCore
import Foundation
import JWTKit

/// The claims of an access token (docs/contract.md §1).
struct AccessClaims: JWTPayload, Equatable {
    var sub: SubjectClaim
    var userId: String
    var email: String
    var orgId: String
    /// The session (`tokenId`) the token belongs to; revoking it ends the token.
    var sid: String
    var type: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    /// Signature checks are JWTKit's; expiry is checked against the injected clock by `TokenService`.
    func verify(using algorithm: some JWTAlgorithm) throws {
        guard self.type == "access" else { throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "not an access token") }
    }
}
