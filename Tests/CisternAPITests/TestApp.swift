import CisternAPI
import CisternBootstrap
import CisternCore
import CisternStore
import CisternTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SQLKit
import Testing

/// A fresh application on its own data directory (a real SQLite file), driven in-process
/// through the same `buildApplication` that `cistern serve` runs.
struct TestApp {
    let dataDirectory: String
    let clock: ManualTimeSource
    let configuration: CisternConfiguration

    init(_ adjust: (inout CisternConfiguration) -> Void = { _ in }) {
        self.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-test-\(UUID().uuidString)").path
        self.clock = ManualTimeSource()
        var configuration = CisternConfiguration()
        configuration.dataDirectory = self.dataDirectory
        configuration.port = 0
        configuration.bcryptCost = 4
        configuration.logLevel = .warning
        // Hundreds of apps run at once; each needs few connections.
        configuration.databasePoolSize = 2
        // Tests drive the monitor themselves (BucketMonitorTests), on the test clock.
        configuration.monitorInterval = 0
        adjust(&configuration)
        self.configuration = configuration
    }

    /// The database the app runs on (see `TestDatabase`), made by `run`.
    let databaseURL = DatabaseURLBox()
    /// The running app's drain flag, as `cistern serve` sets it on SIGTERM.
    let draining = DrainingBox()

    /// Builds the app and runs `body` against it (in-process by default, or over a real socket).
    func run<T: Sendable>(_ setup: TestingSetup = .router, _ body: @Sendable (APIClient) async throws -> T) async throws -> T {
        defer { try? FileManager.default.removeItem(atPath: self.dataDirectory) }
        try FileManager.default.createDirectory(atPath: self.dataDirectory, withIntermediateDirectories: true)
        var configuration = self.configuration
        configuration.databaseURL = try await TestDatabase.freshURL(in: self.dataDirectory)
        self.databaseURL.value = configuration.databaseURL
        let draining = self.draining
        let app = try await buildApplication(configuration, timeSource: self.clock) { runtime in
            draining.value = runtime.draining
            return []
        }
        return try await app.test(setup) { client in try await body(APIClient(client: client)) }
    }

    /// Opens the app's database directly, for setting up states no endpoint can reach.
    func withDatabase<T: Sendable>(_ body: (Database) async throws -> T) async throws -> T {
        let database = try await Database.open(url: try #require(self.databaseURL.value), connections: 1, logger: Logger(label: "test"))
        do {
            let result = try await body(database)
            try await database.close()
            return result
        } catch {
            try? await database.close()
            throw error
        }
    }
}

/// Where `TestApp.run` put the database, for `withDatabase`.
final class DrainingBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Draining?
    var value: Draining? {
        get { self.lock.withLock { self.stored } }
        set { self.lock.withLock { self.stored = newValue } }
    }
}

final class DatabaseURLBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?
    var value: String? {
        get { self.lock.withLock { self.stored } }
        set { self.lock.withLock { self.stored = newValue } }
    }
}

/// A response with its body parsed as JSON.
struct APIResponse: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String

    var json: Any? { try? JSONSerialization.jsonObject(with: Data(self.text.utf8), options: [.fragmentsAllowed]) }
    var object: [String: Any] { (self.json as? [String: Any]) ?? [:] }
    var keys: Set<String> { Set(self.object.keys) }

    subscript(_ key: String) -> Any? { self.object[key] }
    func string(_ key: String) -> String? { self.object[key] as? String }
}

/// Requests with JSON bodies and bearer tokens.
struct APIClient: Sendable {
    let client: any TestClientProtocol

    func request(
        _ method: HTTPRequest.Method, _ uri: String, json: [String: any Sendable]? = nil, raw: String? = nil,
        bytes: [UInt8]? = nil, token: String? = nil, headers extra: HTTPFields = [:]
    ) async throws -> APIResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let bytes {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: bytes)
        } else if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
        } else if let raw {
            headers[.contentType] = "application/json"
            body = ByteBuffer(string: raw)
        }
        return try await self.client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            APIResponse(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }

    /// Registers a new organization and its owner; returns the 201 body.
    @discardableResult
    func register(
        email: String = "owner-\(UUID().uuidString.prefix(8))@example.com", password: String = "Passw0rd!", company: String = "Acme"
    ) async throws -> Account {
        let response = try await self.request(
            .post, "/user/register",
            json: ["email": email, "password": password, "firstName": "Ada", "lastName": "Lovelace", "companyName": company]
        )
        #expect(response.status == .created, "\(response.text)")
        return try Account(response, email: email, password: password)
    }

    func login(email: String, password: String = "Passw0rd!") async throws -> APIResponse {
        try await self.request(.post, "/user/login", json: ["email": email, "password": password])
    }
}

/// What registration or login hands back.
struct Account: Sendable {
    let email: String
    let password: String
    let userId: String
    let orgId: String
    let accessToken: String
    let refreshToken: String
    let tokenId: String

    init(_ response: APIResponse, email: String, password: String) throws {
        let user = try #require(response["user"] as? [String: Any])
        self.email = email
        self.password = password
        self.userId = try #require(user["id"] as? String)
        self.orgId = try #require(user["orgId"] as? String)
        self.accessToken = try #require(response.string("accessToken"))
        self.refreshToken = try #require(response.string("refreshToken"))
        self.tokenId = try #require(response.string("tokenId"))
    }
}

extension ByteBuffer {
    init(data: Data) {
        self.init(bytes: data)
    }
}
