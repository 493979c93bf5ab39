import CisternBootstrap
import CisternProviders
import CisternStore
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The S3 gateway's listener, built on the process's `Runtime` and run as one more service
/// beside the management API (GATEWAY.md in docs/gateway.md). It uses Hummingbird's core server
/// rather than its `Application`: the responder writes the response itself, which is what lets
/// it answer `Expect: 100-continue` after authorization and stream bodies both ways.
public enum GatewayServer {
    /// The gateway as a service, or none when the configuration turns it off. `onListening`
    /// learns the port it listens on (the one asked for, or the one the system chose for 0).
    public static func services(
        _ runtime: Runtime, onListening: (@Sendable (Int) async -> Void)? = nil
    ) async throws -> [any Service] {
        let configuration = runtime.configuration
        guard configuration.gatewayEnabled else { return [] }
        let host = configuration.gatewayHost ?? configuration.host
        try await ListeningAddress.requireFree(host: host, port: configuration.gatewayPort)
        let handler = GatewayHandler(
            credentials: CredentialCache(
                repositories: SQLRepositoryStore(database: runtime.database), buckets: SQLBucketStore(database: runtime.database),
                sealer: runtime.sealer, changes: runtime.credentialChanges
            ),
            s3: S3Provider(http: runtime.http), timeSource: runtime.timeSource, logger: runtime.logger
        )
        let logger = runtime.logger
        let server = try HTTPServerBuilder.http1(configuration: .init(idleTimeout: .seconds(Int64(configuration.idleTimeout)))).buildServer(
            configuration: ServerConfiguration(address: .hostname(host, port: configuration.gatewayPort), serverName: "cistern"),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger,
            responder: { request, writer, _ in try await handler.respond(to: request, writer: writer) },
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.gatewayPort
                logger.info("S3 gateway listening", metadata: ["address": "\(host):\(port)"])
                await onListening?(port)
            }
        )
        return [server]
    }
}
