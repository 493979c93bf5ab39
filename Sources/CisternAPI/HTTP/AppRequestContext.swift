import CisternCore
import CisternWire
import Foundation
import Hummingbird

/// The context of every request. `principal` is set by `AuthMiddleware` on protected routes.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    /// The peer's IP address, when the connection has one (in-process tests have none). Behind a
    /// proxy this is the proxy: `ClientAddress` finds the client.
    public let peerAddress: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
        self.peerAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Request bodies are read by `Request.decodeJSON`, which enforces `JSONBody.maximumSize`.
    public var maxUploadSize: Int { JSONBody.maximumSize }
    public var responseEncoder: JSONEncoder { JSONBody.encoder() }
}
