import AsyncHTTPClient
import CisternCore
import Foundation
import HTTPTypes
import Testing

/// Whatever is thrown at the API: a 4xx (or, for a nasty but valid text, the text stored exactly),
/// never a 5xx or a crash, and the data that was there before is still there, unchanged.
@Suite("Hostile input")
struct HostileInputTests {
    /// Values for ids in paths: none of them a live UUID of this organization.
    static let hostileIds = [
        "not-a-uuid", "1'%20OR%20'1'='1", "%27%3B%20DROP%20TABLE%20buckets%3B--", "%00", "..%2F..%2Fetc%2Fpasswd", "%24(reboot)",
        String(repeating: "a", count: 4000), "00000000-0000-0000-0000-000000000000", "%F0%9F%AA%A3", "-1", "9999999999999999999999",
    ]

    /// Values for text fields: SQL and shell metacharacters, markup, control characters, very long text.
    static let hostileTexts = [
        "'; DROP TABLE buckets; --", "\" OR 1=1 --", "$(touch /tmp/cistern-pwned)", "`id`", "a; rm -rf /", "<script>alert(1)</script>",
        "%s%s%s%n", "\u{0}", "line\nbreak", "\u{202E}gnp.exe", "🪣🪣🪣", String(repeating: "x", count: 10_000),
        String(repeating: "é", count: 300), "   ", "",
    ]

    /// The organization as its owner sees it: every list the API has, minus per-request fields.
    static func snapshot(_ api: APIClient, _ world: World) async throws -> [String: String] {
        let owner = world.tokens[.owner]!
        var lists: [String: String] = [:]
        for path in ["/bucket", "/repo", "/workspace", "/organization/users", "/bucket/available", "/repo/\(world.repositoryId!)/apikey"] {
            let response = try await api.request(.get, path, token: owner)
            #expect(response.status == .ok, "\(path): \(response.text)")
            lists[path] = response.text
        }
        return lists
    }

    /// Elements of a list that were there before must be there now, byte for byte (new ones may have come).
    static func expectPreserved(_ before: [String: String], _ after: [String: String]) {
        for (path, text) in before {
            let old = Self.elements(text)
            let new = Self.elements(after[path] ?? "")
            for (id, element) in old {
                #expect(new[id] == element, "\(path): \(id) changed or disappeared")
            }
        }
    }

    static func elements(_ text: String) -> [String: String] {
        guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return [:] }
        let items: [Any]
        if let array = json as? [Any] {
            items = array
        } else if let object = json as? [String: Any], let array = object.values.first(where: { $0 is [Any] }) as? [Any] {
            items = array
        } else {
            return [:]
        }
        var result: [String: String] = [:]
        for case let item as [String: Any] in items {
            guard let id = item["id"] as? String, let data = try? JSONSerialization.data(withJSONObject: item, options: [.sortedKeys]) else {
                continue
            }
            result[id] = String(decoding: data, as: UTF8.self)
        }
        return result
    }

    @Test func hostileIdsInEveryPathAnswer4xx() async throws {
        let app = TestApp { $0.validateBuckets = false }
        let operations = try await OpenAPITests.routes(app.configuration).filter { $0.contains("{") }.sorted()
        #expect(operations.count >= 20)
        try await app.run { api in
            let world = try await World.build(api, withBucket: true, withRepository: true)
            let before = try await Self.snapshot(api, world)
            for operation in operations {
                let parts = operation.split(separator: " ", maxSplits: 1)
                let method = HTTPRequest.Method(String(parts[0]))!
                for id in Self.hostileIds {
                    let path = String(parts[1]).replacingOccurrences(of: #"\{[A-Za-z]+\}"#, with: id, options: .regularExpression)
                    let response = try await api.request(method, path, raw: "{}", token: world.tokens[.owner]!)
                    #expect((400..<500).contains(response.status.code), "\(operation) with \(id.prefix(40)): \(response.status) \(response.text)")
                }
            }
            Self.expectPreserved(before, try await Self.snapshot(api, world))
            #expect(try await api.request(.get, "/health").status == .ok)
        }
    }

    @Test func hostileTextInEveryTextFieldIsRefusedOrStoredExactly() async throws {
        // Hundreds of failed logins come from one address here; the brute-force limit has its own tests.
        let app = TestApp {
            $0.validateBuckets = false
            $0.loginFailuresPerAddress = 1_000_000
        }
        try await app.run { api in
            let world = try await World.build(api, withBucket: true, withRepository: true)
            let owner = world.tokens[.owner]!
            let before = try await Self.snapshot(api, world)
            // What the updates change is made after the snapshot, so the snapshot must hold still.
            let spareBucket = try await api.createUnvalidatedBucket(in: world.projectId, as: owner)
            let spareUser = try await api.createUser(as: owner, role: 0).id
            let spareRepository = try await api.createRepository(
                in: world.projectId, mode: "NORMAL", members: [["bucketId": spareBucket, "folder": "spare"]], as: owner
            )
            let spareKey = try #require(
                try await api.request(.post, "/repo/\(spareRepository)/apikey", json: ["name": "spare", "accessType": "READ"], token: owner).string(
                    "id")
            )
            // Each operation with a body that is valid but for `$`, which stands for the hostile text.
            let operations: [(HTTPRequest.Method, String, [String: any Sendable])] = [
                (.post, "/user/register", ["email": "$", "password": "Passw0rd!", "firstName": "A", "lastName": "B", "companyName": "C"]),
                (
                    .post, "/user/register",
                    ["email": "x\(UUID().uuidString.prefix(6))@e.example", "password": "$", "firstName": "$", "lastName": "$", "companyName": "$"]
                ),
                (.post, "/user/login", ["email": "$", "password": "$"]),
                (.post, "/organization/users", ["email": "$", "password": "$", "firstName": "$", "lastName": "$"]),
                (.put, "/organization/users/\(spareUser)", ["firstName": "$", "lastName": "$", "password": "$"]),
                (.post, "/workspace", ["name": "$"]),
                (.post, "/workspace/\(world.projectId)/users", ["userId": "$", "role": "$"]),
                (.put, "/workspace/\(world.projectId)/users/\(world.targetId)", ["role": "$"]),
                (
                    .post, "/bucket",
                    ["name": "$", "bucket": "$", "storageType": "$", "key": "$", "secret": "$", "endpoint": "$", "region": "$", "workspaceId": "$"]
                ),
                (
                    .put, "/bucket/\(spareBucket)",
                    ["name": "$", "bucket": "$", "storageType": "$", "key": "$", "endpoint": "$", "region": "$", "workspaceId": "$"]
                ),
                (.post, "/repo", ["name": "$", "storageType": "$", "mode": "$", "workspaceId": "$", "repoBuckets": "members"]),
                (.post, "/repo/validate", ["mode": "$", "repoBuckets": "members"]),
                (.post, "/repo/\(spareRepository)/apikey", ["name": "$", "accessType": "$"]),
                (.put, "/repo/\(spareRepository)/apikey/\(spareKey)", ["name": "$", "accessType": "$"]),
                (.post, "/user/refresh", ["refreshToken": "$"]),
            ]
            var cases = 0
            for (method, path, template) in operations {
                for field in template.keys {
                    for text in Self.hostileTexts {
                        var body = template
                        for (key, value) in template where value as? String == "$" { body[key] = key == field ? text : Self.plausible(key) }
                        if template["repoBuckets"] != nil {
                            // The members' folder is a text field too.
                            let folder = field == "repoBuckets" ? text : "f-\(UUID().uuidString.prefix(8))"
                            body["repoBuckets"] = [["bucketId": spareBucket, "folder": folder] as [String: any Sendable]]
                        }
                        let response = try await api.request(method, path, json: body, token: owner)
                        cases += 1
                        #expect(response.status.code < 500, "\(method) \(path) \(field)=\(text.prefix(30)): \(response.status) \(response.text)")
                        if response.status.code >= 400 {
                            // Only errors can leak the database's text: a success may carry a
                            // random credential that spells "SQL" by chance (a new key, a token).
                            let leaks = ["SQL", "sqlite", "postgres"].filter { response.text.contains($0) }
                            #expect(leaks.isEmpty, "\(path): \(response.text)")
                            #expect(response["success"] as? Bool == false, "\(path): \(response.text)")
                        }
                    }
                }
            }
            // A successful login stores the client's user agent: any text there is kept printable.
            let account = try await api.register()
            for text in Self.hostileTexts {
                let body: [String: any Sendable] = ["email": account.email, "password": account.password, "deviceInfo": ["userAgent": text]]
                let response = try await api.request(.post, "/user/login", json: body)
                cases += 1
                #expect(response.status == .ok, "userAgent \(text.prefix(30)): \(response.text)")
            }
            let agents = try #require(try await api.request(.get, "/token", token: account.accessToken)["tokens"] as? [[String: Any]])
                .compactMap { $0["userAgent"] as? String }
            #expect(agents.allSatisfy { $0.count <= 512 && !$0.unicodeScalars.contains { $0.properties.generalCategory == .control } })
            #expect(cases > 500)
            // Whatever was accepted was stored as text, not run: the tables are all still there.
            Self.expectPreserved(before, try await Self.snapshot(api, world))
            let names = try #require(try await api.request(.get, "/workspace", token: owner)["workspaces"] as? [[String: Any]]).compactMap {
                $0["name"] as? String
            }
            #expect(names.contains("'; DROP TABLE buckets; --"))
        }
    }

    /// A valid value for a field, to go with one hostile field.
    static func plausible(_ key: String) -> String {
        switch key {
        case "email": "p\(UUID().uuidString.prefix(8))@e.example"
        case "password": "Passw0rd!"
        case "storageType": "S3"
        case "mode": "NORMAL"
        case "role", "accessType": "READ"
        case "endpoint": "https://s3.example.com"
        case "region": "us-east-1"
        case "bucket": "plausible-bucket"
        case "userId", "workspaceId", "bucketId": UUID().canonical
        default: "plausible \(UUID().uuidString.prefix(6))"
        }
    }

    @Test func malformedBodiesAnswer400NamingTheProblem() async throws {
        try await TestApp().run { api in
            let owner = try await api.register()
            let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
            let deepObject = String(repeating: "{\"a\":", count: 50_000) + "1" + String(repeating: "}", count: 50_000)
            let bodies: [(String, [UInt8])] = [
                ("invalid UTF-8", Array(#"{"name":""#.utf8) + [0xC3, 0x28, 0xFF, 0xFE] + Array(#""}"#.utf8)),
                ("deeply nested arrays", Array(deep.utf8)),
                ("deeply nested objects", Array(deepObject.utf8)),
                ("over the size limit", Array(("{\"name\":\"" + String(repeating: "x", count: 1_100_000) + "\"}").utf8)),
                ("huge number", Array(#"{"name": 1e400}"#.utf8)),
                (
                    "huge integer role",
                    Array(#"{"email":"a@b.example","password":"Passw0rd!","firstName":"a","lastName":"b","orgRole":99999999999999999999999}"#.utf8)
                ),
                ("wrong type", Array(#"{"name": {"nested": true}}"#.utf8)),
                ("array instead of object", Array(#"[{"name":"x"}]"#.utf8)),
                ("trailing garbage", Array(#"{"name":"x"} garbage"#.utf8)),
                ("truncated", Array(#"{"name":"x"#.utf8)),
                ("null", Array("null".utf8)),
                ("empty", []),
                ("NUL bytes", [0, 0, 0]),
                ("many keys", Array(("{" + (0..<20_000).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}").utf8)),
            ]
            for path in ["/workspace", "/organization/users"] {
                for (name, bytes) in bodies {
                    let response = try await api.request(.post, path, bytes: bytes, token: owner.accessToken)
                    #expect(response.status == .badRequest, "\(path) \(name): \(response.status) \(response.text.prefix(200))")
                    #expect(response["success"] as? Bool == false)
                    #expect((response.string("message") ?? "").isEmpty == false, "\(name)")
                }
            }
            let workspaces = try #require(try await api.request(.get, "/workspace", token: owner.accessToken)["workspaces"] as? [Any])
            #expect(workspaces.count == 1, "nothing was created")
        }
    }

    @Test func abusiveHeadersAreRefusedAndTheServerStaysUp() async throws {
        try await TestApp().run(.live) { api in
            let owner = try await api.register()
            let port = try #require(api.client.port)
            // Each abusive request on its own connection: the server may answer 4xx or hang up.
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            func status(_ headers: [(String, String)]) async -> UInt? {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/user/profile")
                for (name, value) in headers { request.headers.add(name: name, value: value) }
                return try? await http.execute(request, timeout: .seconds(30)).status.code
            }
            do {
                let manyHeaders = await status((0..<500).map { ("x-junk-\($0)", "v") } + [("authorization", "Bearer \(owner.accessToken)")])
                #expect(manyHeaders.map { $0 < 500 } ?? true, "many headers: \(String(describing: manyHeaders))")
                let hugeHeader = await status([("authorization", "Bearer " + String(repeating: "a", count: 200_000))])
                #expect(hugeHeader.map { (400..<500).contains($0) } ?? true, "huge header: \(String(describing: hugeHeader))")
                let hugeOther = await status([("x-junk", String(repeating: "b", count: 1_000_000))])
                #expect(hugeOther.map { (400..<500).contains($0) } ?? true, "huge header: \(String(describing: hugeOther))")
                for header in [
                    "Bearer \(owner.accessToken) \(owner.accessToken)", "Basic \(Data("a:b".utf8).base64EncodedString())", "Digest x",
                    "Bearer ...", "bearer", "Bearer eyJhbGciOiJub25lIn0.eyJ1c2VySWQiOiJ4In0.", String(repeating: "Bearer ", count: 1000),
                ] {
                    #expect(await status([("authorization", header)]) == 401, "\(header.prefix(30))")
                }
                // Still serving, and the account still works.
                #expect(await status([]) == 401)
                #expect(await status([("authorization", "Bearer \(owner.accessToken)")]) == 200)
            }
            try await http.shutdown()
        }
    }
}
