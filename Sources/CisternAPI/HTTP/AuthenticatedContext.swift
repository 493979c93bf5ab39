import CisternCore
import CisternWire
import Foundation
import Hummingbird

/// The context of a protected route: it cannot exist without an authenticated principal, so a
/// handler behind it can never run unauthenticated.
public struct AuthenticatedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let principal: Principal
    public let peerAddress: String

    public init(context: AppRequestContext) throws {
        guard let principal = context.principal else { throw CisternError.noAuthUser() }
        self.coreContext = context.coreContext
        self.principal = principal
        self.peerAddress = context.peerAddress
    }

    public var maxUploadSize: Int { JSONBody.maximumSize }
    public var responseEncoder: JSONEncoder { JSONBody.encoder() }
}
