import AsyncHTTPClient
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP server on 127.0.0.1 that records every request and answers each with the next of a
/// script of answers: a provider's documented answers replayed to a client under test, where no
/// emulator of that provider can be installed.
public final class ScriptedHTTPServer: Sendable {
    public struct Request: Sendable {
        public var method: String
        /// The target as sent: path and query, percent-encoded.
        public var target: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? { self.headers.first { $0.name.lowercased() == name.lowercased() }?.value }
    }

    public struct Answer: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]

        public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    private struct State {
        var script: [Answer] = []
        var requests: [Request] = []
    }

    private let state = NIOLockedValueBox(State())
    private let channel: any Channel
    public let port: Int

    public init() async throws {
        let state = self.state
        self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(
                        Handler { request in
                            state.withLockedValue { state in
                                state.requests.append(request)
                                return state.script.isEmpty ? Answer(status: 599, body: Array("no answer scripted".utf8)) : state.script.removeFirst()
                            }
                        })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.port = self.channel.localAddress?.port ?? 0
    }

    /// The answers to give, in order (any left from before are dropped), and the requests recorded so far cleared.
    public func script(_ answers: [Answer]) {
        self.state.withLockedValue { state in
            state.script = answers
            state.requests = []
        }
    }

    /// The requests received since the last `script`.
    public var requests: [Request] { self.state.withLockedValue { $0.requests } }

    public func close() async throws { try await self.channel.close() }

    /// Runs `body` with a new server and an HTTP client, and takes both down after, whatever happens.
    public static func with<T: Sendable>(_ body: (ScriptedHTTPServer, HTTPClient) async throws -> T) async throws -> T {
        let server = try await ScriptedHTTPServer()
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let result: Result<T, any Error>
        do { result = .success(try await body(server, http)) } catch { result = .failure(error) }
        try await http.shutdown()
        try await server.close()
        return try result.get()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let answer: @Sendable (Request) -> Answer
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(_ answer: @escaping @Sendable (Request) -> Answer) { self.answer = answer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                self.body = []
            case .body(let buffer):
                self.body += Array(buffer: buffer)
            case .end:
                guard let head = self.head else { return }
                let request = Request(
                    method: head.method.rawValue, target: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: self.body)
                let answer = self.answer(request)
                var headers = HTTPHeaders(answer.headers)
                if head.method != .HEAD || headers["content-length"].isEmpty {
                    headers.replaceOrAdd(name: "content-length", value: String(answer.body.count))
                }
                let status = HTTPResponseStatus(statusCode: answer.status)
                context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
                if head.method != .HEAD {
                    context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: answer.body)))), promise: nil)
                }
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
