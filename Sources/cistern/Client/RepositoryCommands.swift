import ArgumentParser
import CisternClient
import CisternWire
import Foundation

struct RepoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repo", abstract: "Repositories over your buckets.",
        subcommands: [List.self, Show.self, Create.self, Edit.self, Remove.self, Validate.self, Replication.self]
    )

    static func path(_ id: String) -> String { "/repo/\(CisternClient.segment(id))" }

    /// The members `create`, `edit` and `validate` take.
    struct Members: ParsableArguments {
        @Option(name: .customLong("member"), help: "A member bucket's id, with `:FOLDER` for NORMAL (repeat for more).")
        var members: [String] = []
        @Option(help: "MIRROR: the master bucket's id (a member too).") var master: String?

        var given: Bool { !self.members.isEmpty || self.master != nil }

        var requests: [RepositoryMemberRequest] {
            var requests = self.members.map { member in
                let parts = member.split(separator: ":", maxSplits: 1).map(String.init)
                return RepositoryMemberRequest(
                    bucketId: parts[0], folder: parts.count > 1 ? parts[1] : nil, master: parts[0] == self.master ? true : nil)
            }
            if let master, !requests.contains(where: { $0.bucketId == master }) {
                requests.insert(RepositoryMemberRequest(bucketId: master, master: true), at: 0)
            }
            return requests
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the repositories you can see.")
        @OptionGroup var options: ClientOptions
        @Option(help: "Only this workspace's.") var workspace: String?

        func run() async throws {
            let path = CisternClient.path("/repo", query: [("workspaceId", self.workspace)])
            let answer = try await self.options.client().call(.GET, path, as: RepositoryListResponse.self)
            self.options.show(answer) { list in
                Output.table(
                    ["ID", "NAME", "MODE", "PROVIDER", "MEMBERS", "KEYS"],
                    list.repos.map { [$0.id, $0.name, $0.mode, $0.storageType, "\($0.buckets.count)", "\($0.apiKeys.count)"] }
                )
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one repository with its members and keys.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The repository's id.") var id: String

        func run() async throws {
            let path = CisternClient.path("/repo", query: [("repoId", self.id)])
            let answer = try await self.options.client().call(.GET, path, as: RepositoryListResponse.self)
            guard let repository = answer.value.repos.first else { throw APIError(status: 404, message: "Repository not found") }
            if self.options.json { return Output.write(answer.raw) }
            Output.fields([
                ("id", repository.id), ("name", repository.name), ("mode", repository.mode), ("provider", repository.storageType),
                ("workspace", repository.workspaceId), ("created", Output.date(repository.createdAt)),
                ("disabled", repository.disabled ? "yes" : "no"),
            ])
            print()
            Output.table(
                ["MEMBER", "BUCKET", "FOLDER", "MASTER", "STATUS"],
                repository.buckets.map {
                    [$0.bucketId, $0.bucket?.bucket ?? "-", Output.text($0.folder), $0.master ? "yes" : "", Output.text($0.bucket?.status)]
                }
            )
            print()
            Output.table(["KEY", "NAME", "ACCESS", "ACCESS KEY ID"], repository.apiKeys.map { [$0.id, $0.name, $0.accessType, $0.key] })
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a repository.",
            discussion: "NORMAL: --member BUCKET:FOLDER for each member. MIRROR: --master BUCKET and --member BUCKET for each mirror."
        )
        @OptionGroup var options: ClientOptions
        @Argument(help: "Its name.") var name: String
        @Option(help: "The workspace to put it in.") var workspace: String
        @Option(help: "NORMAL or MIRROR (default NORMAL).") var mode = "NORMAL"
        @Option(help: "The members' provider (default S3).") var provider = "S3"
        @OptionGroup var members: Members

        func run() async throws {
            let request = CreateRepositoryRequest(
                name: self.name, storageType: self.provider.uppercased(), mode: self.mode.uppercased(), workspaceId: self.workspace,
                repoBuckets: self.members.requests
            )
            let answer = try await self.options.client().call(.POST, "/repo", body: request, as: RepositoryCreatedResponse.self)
            self.options.show(answer) { print("Created repository \(self.name): \($0.repoId)") }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a repository (members given replace all of them).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The repository's id.") var id: String
        @Option(help: "A new name.") var name: String?
        @Option(help: "Move it to this workspace.") var workspace: String?
        @Option(help: "NORMAL or MIRROR.") var mode: String?
        @OptionGroup var members: Members

        func run() async throws {
            let request = UpdateRepositoryRequest(
                name: self.name, mode: self.mode?.uppercased(), workspaceId: self.workspace,
                repoBuckets: self.members.given ? self.members.requests : nil
            )
            let answer = try await self.options.client().call(.PUT, RepoCommand.path(self.id), body: request, as: RepositoryCreatedResponse.self)
            self.options.show(answer) { print("Updated repository \($0.repoId).") }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a repository's members without saving anything (a new one, or --repo for a change).")
        @OptionGroup var options: ClientOptions
        @Option(help: "NORMAL or MIRROR (default NORMAL).") var mode = "NORMAL"
        @Option(help: "Check a change of this repository.") var repo: String?
        @Option(help: "The workspace it would be in.") var workspace: String?
        @Option(help: "The name it would have.") var name: String?
        @OptionGroup var members: Members

        func run() async throws {
            let request = ValidateRepositoryRequest(
                mode: self.mode.uppercased(), repoBuckets: self.members.requests, name: self.name, workspaceId: self.workspace
            )
            let path = self.repo.map { RepoCommand.path($0) + "/validate" } ?? "/repo/validate"
            let answer = try await self.options.client().call(.POST, path, body: request, as: SuccessResponse.self)
            self.options.show(answer) { _ in print("Valid.") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a repository (its buckets become available again).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The repository's id.") var id: String

        func run() async throws {
            let answer = try await self.options.client().call(.DELETE, RepoCommand.path(self.id), as: SuccessResponse.self)
            self.options.show(answer) { _ in print("Deleted repository \(self.id).") }
        }
    }

    struct Replication: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A MIRROR repository's repair queue (--retry: retry what failed).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The repository's id.") var id: String
        @Flag(help: "Make failed items pending again.") var retry = false

        func run() async throws {
            let client = try await self.options.client()
            if self.retry {
                let answer = try await client.call(.POST, RepoCommand.path(self.id) + "/replication/retry", as: ReplicationRetryResponse.self)
                return self.options.show(answer) { print("Retrying \($0.retried) item(s).") }
            }
            let answer = try await client.call(.GET, RepoCommand.path(self.id) + "/replication", as: ReplicationResponse.self)
            self.options.show(answer) { status in
                print("pending \(status.pending), failed \(status.failed), completed in the last day \(status.completedLastDay)")
                Output.table(
                    ["KEY", "MIRROR", "OPERATION", "STATE", "ATTEMPTS", "LAST ERROR"],
                    status.items.map { [$0.key, $0.bucketId, $0.operation, $0.state, "\($0.attempts)", Output.text($0.lastError)] }
                )
            }
        }
    }
}

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "A repository's keys for the S3 gateway.", subcommands: [List.self, Create.self, Remove.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List a repository's keys (never their secrets).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The repository's id.") var repo: String

        func run() async throws {
            let answer = try await self.options.client().call(.GET, RepoCommand.path(self.repo) + "/apikey", as: RepositoryKeyListResponse.self)
            self.options.show(answer) { list in
                Output.table(
                    ["ID", "NAME", "ACCESS", "ACCESS KEY ID", "CREATED"],
                    list.keys.map { [$0.id, $0.name, $0.accessType, $0.key, Output.date($0.createdAt)] })
            }
        }
    }

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case env, aws, rclone
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key; its secret is shown this once.",
            discussion: "--output env|aws|rclone prints ready-to-use settings for the S3 gateway instead."
        )
        @OptionGroup var options: ClientOptions
        @Argument(help: "The repository's id.") var repo: String
        @Option(help: "A name for the key.") var name: String
        @Option(help: "READ, WRITE or ADMIN (default WRITE).") var access = "WRITE"
        @Option(help: "Print settings: env (shell exports), aws (credentials file section) or rclone (remote section).") var output: Format?
        @Option(help: "The S3 gateway's URL for those settings (default: the server's host, port 9000).") var gateway: String?

        func run() async throws {
            let client = try await self.options.client()
            let answer = try await client.call(
                .POST, RepoCommand.path(self.repo) + "/apikey",
                body: CreateRepositoryKeyRequest(name: self.name, accessType: self.access.uppercased()),
                as: RepositoryKeyCreatedResponse.self
            )
            if self.options.json { return Output.write(answer.raw) }
            let key = answer.value
            let gateway = self.gateway ?? Self.gateway(of: client.baseURL)
            switch self.output {
            case nil:
                Output.fields([("id", key.id), ("access key id", key.key), ("secret", key.secret), ("gateway", gateway)])
                print("The secret is shown this once.")
            case .env:
                print("export AWS_ACCESS_KEY_ID=\(key.key)\nexport AWS_SECRET_ACCESS_KEY=\(key.secret)")
                print("export AWS_ENDPOINT_URL=\(gateway)\nexport AWS_DEFAULT_REGION=us-east-1")
            case .aws:
                print("[profile \(self.name)]\naws_access_key_id = \(key.key)\naws_secret_access_key = \(key.secret)")
                print("endpoint_url = \(gateway)\nregion = us-east-1\ns3 =\n    addressing_style = path")
            case .rclone:
                print("[\(self.name)]\ntype = s3\nprovider = Other\naccess_key_id = \(key.key)\nsecret_access_key = \(key.secret)")
                print("endpoint = \(gateway)\nregion = us-east-1\nforce_path_style = true")
            }
        }

        /// The gateway beside a management API URL: the same host, port 9000 (the default).
        static func gateway(of api: String) -> String {
            guard var components = URLComponents(string: api) else { return api }
            components.port = 9000
            components.path = ""
            return components.string ?? api
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Revoke a key.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The repository's id.") var repo: String
        @Argument(help: "The key's id.") var id: String

        func run() async throws {
            let answer = try await self.options.client().call(
                .DELETE, RepoCommand.path(self.repo) + "/apikey/\(CisternClient.segment(self.id))", as: SuccessResponse.self
            )
            self.options.show(answer) { _ in print("Revoked key \(self.id).") }
        }
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Traffic through the S3 gateway.", subcommands: [Buckets.self, Repos.self, Daily.self, Minute.self]
    )

    struct Buckets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "All-time totals per bucket.")
        @OptionGroup var options: ClientOptions
        @Option(name: .customLong("bucket"), help: "Only these buckets (repeat).") var buckets: [String] = []

        func run() async throws {
            let path = CisternClient.path("/bucket/stats", query: [("bucketId", self.buckets.isEmpty ? nil : self.buckets.joined(separator: ","))])
            let answer = try await self.options.client().call(.GET, path, as: TrafficTotalsResponse.self)
            self.options.show(answer) { StatsCommand.totals($0, id: { $0.bucketId }) }
        }
    }

    struct Repos: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "All-time totals per repository.")
        @OptionGroup var options: ClientOptions
        @Option(name: .customLong("repo"), help: "Only these repositories (repeat).") var repos: [String] = []

        func run() async throws {
            let path = CisternClient.path("/repo/stats", query: [("repoId", self.repos.isEmpty ? nil : self.repos.joined(separator: ","))])
            let answer = try await self.options.client().call(.GET, path, as: TrafficTotalsResponse.self)
            self.options.show(answer) { StatsCommand.totals($0, id: { $0.repoId }) }
        }
    }

    static func totals(_ response: TrafficTotalsResponse, id: (TrafficTotalsResponse.Entry) -> String?) {
        Output.table(
            ["ID", "REQUESTS", "UPLOADED", "DOWNLOADED", "SIZE CHANGE"],
            response.stats.map { [id($0) ?? "-", "\($0.totalCount)", "\($0.totalUploadBytes)", "\($0.totalDownloadBytes)", "\($0.totalSizeChange)"] }
        )
    }

    /// The filters of the per-period rows.
    struct Period: ParsableArguments {
        @Option(help: "From this date or instant (ISO 8601; default: 30 days or 1 hour back).") var from: String?
        @Option(help: "Up to this date or instant (default: now).") var to: String?
        @Option(name: .customLong("repo"), help: "Only these repositories (repeat).") var repos: [String] = []
        @Option(name: .customLong("bucket"), help: "Only these buckets (repeat).") var buckets: [String] = []

        func path(_ base: String) -> String {
            CisternClient.path(
                base,
                query: [
                    ("startDate", self.from), ("endDate", self.to), ("repoId", self.repos.isEmpty ? nil : self.repos.joined(separator: ",")),
                    ("bucketId", self.buckets.isEmpty ? nil : self.buckets.joined(separator: ",")),
                ]
            )
        }
    }

    static func rows(_ response: TrafficRowsResponse) {
        Output.table(
            ["PERIOD", "REPOSITORY", "BUCKET", "HOST", "REQUESTS", "UPLOADED", "DOWNLOADED", "LATENCY MS"],
            response.data.map {
                [
                    Output.date(Date(timeIntervalSince1970: Double($0.timestamp) / 1000)), $0.repoId, $0.bucketId, $0.host, "\($0.requests)",
                    "\($0.upl_bytes)", "\($0.dwl_bytes)", "\($0.latency_ms)",
                ]
            }
        )
    }

    struct Daily: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Traffic per day.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var period: Period

        func run() async throws {
            let answer = try await self.options.client().call(.GET, self.period.path("/stats/daily"), as: TrafficRowsResponse.self)
            self.options.show(answer, StatsCommand.rows)
        }
    }

    struct Minute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Traffic per minute.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var period: Period

        func run() async throws {
            let answer = try await self.options.client().call(.GET, self.period.path("/stats/minute"), as: TrafficRowsResponse.self)
            self.options.show(answer, StatsCommand.rows)
        }
    }
}
