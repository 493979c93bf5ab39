import CisternBootstrap
import CisternProviders
import CisternStore
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// The S3 gateway's listener and the repairer of MIRROR repositories, built on the process's
/// `Runtime` and run as more services beside the management API (GATEWAY.md in docs/gateway.md). It uses Hummingbird's core server
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
        let repositories = SQLRepositoryStore(database: runtime.database)
        let buckets = SQLBucketStore(database: runtime.database)
        let replication = SQLReplicationStore(database: runtime.database)
        let meter = TrafficMeter()
        let handler = GatewayHandler(
            credentials: CredentialCache(repositories: repositories, buckets: buckets, sealer: runtime.sealer, changes: runtime.database.changes),
            stores: ObjectStores(http: runtime.http, gcsTokenURL: configuration.gcsTokenURL), replication: replication, traffic: meter,
            telemetry: runtime.telemetry,
            timeSource: runtime.timeSource, logger: runtime.logger, mirrorTimeout: .seconds(Int64(configuration.mirrorTimeout))
        )
        let recorder = TrafficRecorder(
            meter: meter, store: SQLTrafficStore(database: runtime.database), host: configuration.nodeName,
            interval: .seconds(configuration.statsInterval), timeSource: runtime.timeSource, logger: runtime.logger
        )
        let repairer = Repairer(
            handler: handler, store: replication, repositories: repositories, buckets: buckets, sealer: runtime.sealer,
            policy: configuration.replication
        )
        let logger = runtime.logger
        var builder = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .seconds(Int64(configuration.idleTimeout))))
        let scheme: String
        switch (configuration.gatewayTLSCertificate, configuration.gatewayTLSKey) {
        case (let certificate?, let key?):
            builder = try .tls(builder, tlsConfiguration: try Self.tlsConfiguration(certificate: certificate, key: key))
            scheme = "https"
        case (nil, nil):
            scheme = "http"
        default:
            throw StartupError("gateway-tls-cert and gateway-tls-key go together: give both, or neither")
        }
        let server = try builder.buildServer(
            configuration: ServerConfiguration(address: .hostname(host, port: configuration.gatewayPort), serverName: "cistern"),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger,
            responder: { request, writer, _ in try await handler.respond(to: request, writer: writer) },
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.gatewayPort
                logger.info("S3 gateway listening", metadata: ["url": "\(scheme)://\(host):\(port)"])
                await onListening?(port)
            }
        )
        // Stopped in reverse order: the listener first, so the recorder's last write counts every request.
        return [recorder, repairer, server]
    }

    /// The server side of TLS from PEM files; a file that cannot be read or used stops the start
    /// with one line naming the setting.
    static func tlsConfiguration(certificate: String, key: String) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw StartupError("gateway-tls-cert: cannot read a PEM certificate from \(certificate)")
        }
        guard !chain.isEmpty else { throw StartupError("gateway-tls-cert: \(certificate) holds no certificate") }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw StartupError("gateway-tls-key: cannot read a PEM private key from \(key)")
        }
        return .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
    }
}
