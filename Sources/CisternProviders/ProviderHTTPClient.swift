import AsyncHTTPClient
import NIOCore

/// The one HTTP client every provider shares, configured for talking to storage providers:
/// redirects are answers to report, not to follow, a connection must open within
/// `connectTimeout`, a transfer that stops for `readTimeout` fails (however long the whole
/// transfer takes), and a refused connection fails at once instead of being retried until the
/// request's deadline.
public enum ProviderHTTPClient {
    public static func make(connectTimeout: TimeAmount = .seconds(2), readTimeout: TimeAmount = .seconds(60)) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: connectTimeout, read: readTimeout)
        )
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
