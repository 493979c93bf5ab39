import CisternTestSupport
import Foundation
import Testing

/// The `cistern` client commands, run as the real binary against an application on a live
/// socket: each command's table, and its `--json` output against the API's own answer.
@Suite("Command line", .timeLimit(.minutes(5)))
struct CommandLineTests {
    /// Runs the built `cistern` with `arguments`; its exit status, standard output and error.
    struct CLI: Sendable {
        let configHome: String
        var environment: [String: String] = [:]

        struct Outcome: Sendable {
            var status: Int32
            var out: String
            var err: String
            var lines: [String] { self.out.split(separator: "\n").map(String.init) }
        }

        /// Waits without holding a thread: the server under test runs on the same cooperative pool.
        func callAsFunction(_ arguments: String..., stdin: String? = nil) async throws -> Outcome {
            let process = Process()
            process.executableURL = try Replica.binary()
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CISTERN_") }
            environment["XDG_CONFIG_HOME"] = self.configHome
            environment.merge(self.environment) { $1 }
            process.environment = environment
            let scratch = FileManager.default.temporaryDirectory.path + "/cistern-cli-\(UUID().uuidString)"
            let files = (out: scratch + ".out", err: scratch + ".err")
            defer { for file in [files.out, files.err] { try? FileManager.default.removeItem(atPath: file) } }
            _ = FileManager.default.createFile(atPath: files.out, contents: nil)
            _ = FileManager.default.createFile(atPath: files.err, contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: files.out)
            process.standardError = FileHandle(forWritingAtPath: files.err)
            let input = Pipe()
            process.standardInput = input
            let exited = AsyncStream<Void> { continuation in process.terminationHandler = { _ in continuation.finish() } }
            try ProcessLaunch.run(process)
            if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
            try input.fileHandleForWriting.close()
            for await _ in exited {}
            return Outcome(
                status: process.terminationStatus, out: try String(contentsOfFile: files.out, encoding: .utf8),
                err: try String(contentsOfFile: files.err, encoding: .utf8)
            )
        }
    }

    @Test func everyCommandPrintsItsTableAndTheAPIsJSON() async throws {
        let app = TestApp { $0.validateBuckets = false }
        try await app.run(.live) { api in
            let home = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-cli-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: home) }
            let url = "http://127.0.0.1:\(try #require(api.client.port))"
            let cli = CLI(configHome: home)
            let owner = try await api.register(email: "ada@example.com")

            /// The command's `--json` output is the API's answer to `path`, byte for byte.
            func sameJSON(_ output: CLI.Outcome, _ path: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let direct = try await api.request(.get, path, token: owner.accessToken)
                #expect(output.status == 0, "\(output.err)", sourceLocation: sourceLocation)
                #expect(output.out == direct.text + "\n", sourceLocation: sourceLocation)
            }
            func id(_ output: CLI.Outcome, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
                #expect(output.status == 0, "\(output.err)", sourceLocation: sourceLocation)
                return String(try #require(output.out.split(separator: " ").last, sourceLocation: sourceLocation)).trimmingCharacters(
                    in: .whitespacesAndNewlines)
            }

            // Not logged in yet: a clear message, exit 1.
            let early = try await cli("bucket", "ls")
            #expect(early.status == 1 && early.err.contains("not logged in"), "\(early)")

            let login = try await cli("login", url, "--email", "ada@example.com", "--password-stdin", stdin: "Passw0rd!\n")
            #expect(login.status == 0 && login.out.contains("Logged in to \(url) as ada@example.com"), "\(login)")
            let config = home + "/cistern/config.json"
            let mode = try FileManager.default.attributesOfItem(atPath: config)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(try String(contentsOfFile: config, encoding: .utf8).contains("refreshToken"))
            let wrong = try await cli("login", url, "--email", "ada@example.com", "--password-stdin", stdin: "nope\n")
            #expect(wrong.status == 1 && wrong.err.hasPrefix("cistern: "), "\(wrong)")

            // Workspaces.
            let workspace = try id(await cli("workspace", "create", "Team"))
            let workspaces = try await cli("workspace", "ls")
            #expect(workspaces.lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["ID", "NAME", "DEFAULT", "MEMBERS"])
            #expect(workspaces.lines.contains { $0.hasPrefix(workspace) && $0.contains("Team") })
            try await sameJSON(try await cli("workspace", "ls", "--json"), "/workspace")

            // Buckets.
            let bucket = try id(
                await cli(
                    "bucket", "add", "photos", "--bucket", "photos-bucket", "--provider", "s3", "--key", "AKIDPHOTOS", "--secret-stdin",
                    "--endpoint", "http://127.0.0.1:1", "--workspace", workspace, stdin: "photos-secret\n"
                ))
            let buckets = try await cli("bucket", "ls")
            #expect(buckets.lines.first?.hasPrefix("ID") == true && buckets.lines.contains { $0.hasPrefix(bucket) && $0.contains("photos-bucket") })
            #expect(!buckets.out.contains("photos-secret"))
            try await sameJSON(try await cli("bucket", "ls", "--json"), "/bucket")
            let available = try await cli("bucket", "available")
            #expect(available.lines.contains { $0.hasPrefix(bucket) })
            try await sameJSON(try await cli("bucket", "available", "--json"), "/bucket/available")
            let shown = try await cli("bucket", "show", bucket)
            #expect(shown.lines.contains("bucket:       photos-bucket"), "\(shown.out)")
            let renamed = try await cli("bucket", "edit", bucket, "--name", "pictures")
            #expect(renamed.status == 0 && renamed.out.contains(bucket), "\(renamed)")
            #expect(try await cli("bucket", "ls").out.contains("pictures"))
            let checked = try await cli("bucket", "check", bucket)
            #expect(checked.status == 0 && checked.out.hasPrefix("OFFLINE"), "\(checked)")
            let status = try await cli("bucket", "status", bucket)
            #expect(status.lines.first?.hasPrefix("OFFLINE") == true && status.lines.contains { $0.hasPrefix("CHECKED") }, "\(status.out)")
            try await sameJSON(try await cli("bucket", "status", bucket, "--json"), "/bucket/\(bucket)/status")

            // Users and memberships.
            let bob = try id(
                await cli(
                    "user", "add", "--email", "bob@example.com", "--first-name", "Bob", "--last-name", "B", "--password-stdin", stdin: "Passw0rd!\n"))
            #expect(try await cli("user", "ls").lines.contains { $0.hasPrefix(bob) && $0.contains("bob@example.com") && $0.hasSuffix("USER") })
            try await sameJSON(try await cli("user", "ls", "--json"), "/organization/users")
            let raised = try await cli("user", "role", bob, "workspaces")
            #expect(raised.status == 0 && raised.out.contains("USER → WORKSPACES"), "\(raised)")
            #expect(try await cli("workspace", "members", workspace, "--add", bob, "--role", "read").status == 0)
            let members = try await cli("workspace", "members", workspace)
            #expect(members.lines.contains { $0.hasPrefix(bob) && $0.hasSuffix("READ") }, "\(members.out)")
            #expect(try await cli("workspace", "members", workspace, "--set", bob, "--role", "WRITE").status == 0)
            #expect(try await cli("workspace", "members", workspace).lines.contains { $0.hasPrefix(bob) && $0.hasSuffix("WRITE") })
            #expect(try await cli("workspace", "members", workspace, "--remove", bob).status == 0)
            #expect(!(try await cli("workspace", "members", workspace).out.contains(bob)))

            // Repositories and keys.
            let invalid = try await cli("repo", "validate", "--workspace", workspace, "--member", "\(UUID().uuidString.lowercased()):x")
            #expect(invalid.status == 1 && invalid.err.hasPrefix("cistern: "), "\(invalid)")
            #expect(try await cli("repo", "validate", "--workspace", workspace, "--member", "\(bucket):team").out == "Valid.\n")
            let repo = try id(await cli("repo", "create", "shared", "--workspace", workspace, "--member", "\(bucket):team"))
            #expect(try await cli("repo", "ls").lines.contains { $0.hasPrefix(repo) && $0.contains("NORMAL") })
            try await sameJSON(try await cli("repo", "ls", "--json"), "/repo")
            let repoShown = try await cli("repo", "show", repo)
            #expect(repoShown.lines.contains { $0.hasPrefix(bucket) && $0.contains("photos-bucket") && $0.contains("team") }, "\(repoShown.out)")
            #expect(try await cli("repo", "edit", repo, "--name", "renamed").status == 0)
            let key = try await cli("key", "create", repo, "--name", "laptop")
            #expect(key.status == 0 && key.out.contains("secret:") && key.out.contains("The secret is shown this once."), "\(key)")
            let env = try await cli("key", "create", repo, "--name", "ci", "--output", "env", "--gateway", "http://127.0.0.1:9999")
            #expect(
                env.lines.count == 4 && env.lines[0].hasPrefix("export AWS_ACCESS_KEY_ID=")
                    && env.lines[2] == "export AWS_ENDPOINT_URL=http://127.0.0.1:9999")
            let aws = try await cli("key", "create", repo, "--name", "aws", "--output", "aws")
            #expect(aws.lines.first == "[profile aws]" && aws.out.contains("endpoint_url = http://127.0.0.1:9000"), "\(aws.out)")
            let rclone = try await cli("key", "create", repo, "--name", "rc", "--output", "rclone")
            #expect(rclone.lines.first == "[rc]" && rclone.out.contains("type = s3") && rclone.out.contains("force_path_style = true"))
            let keys = try await cli("key", "ls", repo)
            #expect(keys.lines.count == 5 && !keys.out.contains("secret"), "\(keys.out)")
            try await sameJSON(try await cli("key", "ls", repo, "--json"), "/repo/\(repo)/apikey")
            let keyId = String(try #require(keys.lines.last?.split(separator: " ").first))
            #expect(try await cli("key", "rm", repo, keyId).status == 0)
            #expect(try await cli("key", "ls", repo).lines.count == 4)
            let replication = try await cli("repo", "replication", repo)
            #expect(replication.lines.first == "pending 0, failed 0, completed in the last day 0", "\(replication.out)")

            // Traffic (none yet: the gateway was not used), in tables and as the API's JSON.
            let totals = try await cli("stats", "repos")
            #expect(totals.lines.first == "ID                                    REQUESTS  UPLOADED  DOWNLOADED  SIZE CHANGE", "\(totals.out)")
            #expect(totals.lines.dropFirst().allSatisfy { $0.hasPrefix(repo) && $0.hasSuffix(" 0") }, "\(totals.out)")
            try await sameJSON(try await cli("stats", "repos", "--json"), "/repo/stats")
            try await sameJSON(try await cli("stats", "buckets", "--bucket", bucket, "--json"), "/bucket/stats?bucketId=\(bucket)")
            try await sameJSON(try await cli("stats", "daily", "--json"), "/stats/daily")
            let minutes = try await cli("stats", "minute", "--repo", repo)
            #expect(minutes.status == 0 && minutes.lines.first?.hasPrefix("PERIOD") == true, "\(minutes)")

            // Sessions: the CLI's own, and another one ended from here.
            let other = try await api.login(email: "ada@example.com")
            let otherId = try #require(other.string("tokenId"))
            #expect(try await cli("token", "ls").lines.contains { $0.hasPrefix(otherId) })
            try await sameJSON(try await cli("token", "ls", "--json"), "/token")
            #expect(try await cli("token", "rm", otherId).status == 0)
            #expect(!(try await cli("token", "ls").out.contains(otherId)))

            // API errors: the API's message on standard error, exit 1; usage errors exit 2.
            let missing = try await cli("bucket", "rm", UUID().uuidString.lowercased())
            #expect(missing.status == 1 && missing.err == "cistern: Bucket not found\n", "\(missing)")
            let usage = try await cli("bucket", "add", "x")
            #expect(usage.status == 2 && usage.err.contains("--workspace"), "\(usage)")

            // The audit log: what this session did, newest first; pages joined by the printed cursor.
            let audit = try await cli("audit", "--action", "key.*")
            #expect(audit.lines.first?.hasPrefix("TIME") == true, "\(audit.out)")
            #expect(audit.lines.dropFirst().first?.contains("ada@example.com  key.delete  key/\(keyId)  success") == true, "\(audit.out)")
            let firstPage = try await cli("audit", "--limit", "1")
            let cursor = try #require(firstPage.lines.last?.split(separator: " ").last.map(String.init), "\(firstPage.out)")
            #expect(try await cli("audit", "--limit", "1", "--cursor", cursor).lines.count == 3)
            try await sameJSON(try await cli("audit", "--action", "workspace.create", "--json"), "/audit?action=workspace.create")
            let badLimit = try await cli("audit", "--limit", "0")
            #expect(badLimit.status == 1 && badLimit.err.contains("limit"), "\(badLimit)")

            // Teardown through the CLI.
            #expect(try await cli("repo", "rm", repo).status == 0)
            #expect(try await cli("bucket", "rm", bucket).status == 0)
            #expect(try await cli("user", "rm", bob).status == 0)
            #expect(try await cli("workspace", "rm", workspace).status == 0)

            // CI: CISTERN_URL and CISTERN_TOKEN, no configuration file.
            var ci = CLI(configHome: home + "/elsewhere")
            ci.environment = ["CISTERN_URL": url, "CISTERN_TOKEN": owner.accessToken]
            try await sameJSON(try await ci("workspace", "ls", "--json"), "/workspace")

            let logout = try await cli("logout")
            #expect(logout.status == 0, "\(logout)")
            let after = try await cli("workspace", "ls")
            #expect(after.status == 1 && after.err.contains("not logged in"), "\(after)")
        }
    }

    @Test func commandsRunTogetherShareOneRefresh() async throws {
        // An expired access token is renewed once, under the profile's lock: eight commands at
        // once must not present the same refresh token twice (the server would end the session).
        let app = TestApp { $0.accessTokenLifetime = 1 }
        try await app.run(.live) { api in
            let home = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-cli-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: home) }
            let cli = CLI(configHome: home)
            try await api.register(email: "ada@example.com")
            let url = "http://127.0.0.1:\(try #require(api.client.port))"
            #expect(try await cli("login", url, "--email", "ada@example.com", "--password-stdin", stdin: "Passw0rd!\n").status == 0)
            try await Task.sleep(for: .seconds(1.5))
            let statuses = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<8 { group.addTask { try await cli("workspace", "ls").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 0, count: 8))
            #expect(try await cli("workspace", "ls").status == 0)
        }
    }
}
