import ArgumentParser
import CisternClient
import CisternWire
import Foundation

struct BucketCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bucket", abstract: "Buckets registered at their providers.",
        subcommands: [List.self, Show.self, Add.self, Check.self, Edit.self, Remove.self, Available.self, Status.self]
    )

    static func path(_ id: String) -> String { "/bucket/\(CisternClient.segment(id))" }

    static func row(_ bucket: BucketResponse) -> [String] {
        [
            bucket.id, bucket.name, bucket.storageType, bucket.bucket, Output.text(bucket.endpoint ?? bucket.region), Output.text(bucket.status),
            "\(bucket.repos.count)",
        ]
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the buckets you can see.")
        @OptionGroup var options: ClientOptions
        @Option(help: "Only this workspace's.") var workspace: String?

        func run() async throws {
            let path = CisternClient.path("/bucket", query: [("workspaceId", self.workspace)])
            let answer = try await self.options.client().call(.GET, path, as: BucketListResponse.self)
            self.options.show(answer) { list in
                Output.table(["ID", "NAME", "PROVIDER", "BUCKET", "ENDPOINT/REGION", "STATUS", "REPOS"], list.buckets.map(BucketCommand.row))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one bucket.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The bucket's id.") var id: String

        func run() async throws {
            // The API lists buckets; one is the list's entry with that id.
            let answer = try await self.options.client().call(.GET, "/bucket", as: BucketListResponse.self)
            guard let bucket = answer.value.buckets.first(where: { $0.id == self.id.lowercased() }) else {
                throw APIError(status: 404, message: "Bucket not found")
            }
            if self.options.json { return Output.write(try JSONEncoder.wire.encode(bucket)) }
            Output.fields([
                ("id", bucket.id), ("name", bucket.name), ("provider", bucket.storageType), ("bucket", bucket.bucket), ("key", bucket.key),
                ("endpoint", Output.text(bucket.endpoint)), ("region", Output.text(bucket.region)), ("status", Output.text(bucket.status)),
                ("last check", Output.date(bucket.lastStatusAt)), ("workspace", bucket.workspaceId), ("created", Output.date(bucket.createdAt)),
                ("repositories", bucket.repos.isEmpty ? "-" : bucket.repos.map { "\($0.name) (\($0.id))" }.joined(separator: ", ")),
            ])
        }
    }

    /// The connection fields `add` and `edit` share.
    struct Connection: ParsableArguments {
        @Option(help: "The bucket's name at its provider.") var bucket: String?
        @Option(help: "S3, GCS or BLOB.") var provider: String?
        @Option(help: "Access key id, client e-mail or account name.") var key: String?
        @Flag(name: .customLong("secret-stdin"), help: "Read the secret from standard input (else from the terminal, without echo).")
        var secretStdin = false
        @Option(help: "The provider's endpoint URL (S3-compatible services, emulators).") var endpoint: String?
        @Option(help: "The provider's region.") var region: String?

        var changesConnection: Bool { [self.bucket, self.provider, self.key, self.endpoint, self.region].contains { $0 != nil } }

        func secret(prompt: String = "Secret: ") throws -> String {
            try PasswordInput.read(fromStandardInput: self.secretStdin, prompt: prompt)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a bucket (Cistern checks it at the provider first).",
            discussion: "The secret is read from the terminal without echo, or from standard input with --secret-stdin."
        )
        @OptionGroup var options: ClientOptions
        @Argument(help: "A name for it in Cistern.") var name: String
        @OptionGroup var connection: Connection
        @Option(help: "The workspace to put it in.") var workspace: String

        func validate() throws {
            guard self.connection.bucket != nil, self.connection.provider != nil, self.connection.key != nil else {
                throw ValidationError("--bucket, --provider and --key are required")
            }
        }

        func run() async throws {
            let request = CreateBucketRequest(
                name: self.name, bucket: self.connection.bucket!, storageType: self.connection.provider!.uppercased(), key: self.connection.key!,
                secret: try self.connection.secret(), endpoint: self.connection.endpoint, region: self.connection.region,
                workspaceId: self.workspace
            )
            let answer = try await self.options.client().call(.POST, "/bucket", body: request, as: BucketCreatedResponse.self)
            self.options.show(answer) { print("Registered bucket \(self.name): \($0.bucketId)") }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a bucket's name, workspace or connection.",
            discussion:
                "A changed connection needs the secret again (--secret-stdin, or it is asked for): a stored secret is never sent anywhere new."
        )
        @OptionGroup var options: ClientOptions
        @Argument(help: "The bucket's id.") var id: String
        @Option(help: "A new name.") var name: String?
        @Option(help: "Move it to this workspace.") var workspace: String?
        @OptionGroup var connection: Connection

        func run() async throws {
            let secret = self.connection.changesConnection || self.connection.secretStdin ? try self.connection.secret() : nil
            let request = UpdateBucketRequest(
                name: self.name, bucket: self.connection.bucket, storageType: self.connection.provider?.uppercased(), key: self.connection.key,
                secret: secret, endpoint: self.connection.endpoint, region: self.connection.region, workspaceId: self.workspace
            )
            let answer = try await self.options.client().call(.PUT, BucketCommand.path(self.id), body: request, as: BucketUpdatedResponse.self)
            self.options.show(answer) { print("Updated bucket \($0.bucketId); status \(Output.text($0.status)).") }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a bucket at its provider now.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The bucket's id.") var id: String

        func run() async throws {
            let answer = try await self.options.client().call(.POST, BucketCommand.path(self.id) + "/validate", as: BucketValidationResponse.self)
            self.options.show(answer) { print("\($0.status) in \($0.latency_ms) ms: \($0.message)") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a bucket no repository uses.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The bucket's id.") var id: String

        func run() async throws {
            let answer = try await self.options.client().call(.DELETE, BucketCommand.path(self.id), as: SuccessResponse.self)
            self.options.show(answer) { _ in print("Deleted bucket \(self.id).") }
        }
    }

    struct Available: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the buckets free to build a repository on.")
        @OptionGroup var options: ClientOptions
        @Option(help: "Only this workspace's.") var workspace: String?

        func run() async throws {
            let path = CisternClient.path("/bucket/available", query: [("workspaceId", self.workspace)])
            let answer = try await self.options.client().call(.GET, path, as: [AvailableBucket].self)
            self.options.show(answer) { list in
                Output.table(
                    ["ID", "NAME", "PROVIDER", "BUCKET", "STATUS", "WORKSPACE"],
                    list.map { [$0.id, $0.name, $0.storageType, $0.bucket, Output.text($0.status), $0.workspaceId] }
                )
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A bucket's status and its recent checks.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The bucket's id.") var id: String

        func run() async throws {
            let answer = try await self.options.client().call(.GET, BucketCommand.path(self.id) + "/status", as: BucketStatusResponse.self)
            self.options.show(answer) { status in
                print("\(Output.text(status.status)), last checked \(Output.date(status.lastStatusAt))")
                Output.table(["CHECKED", "STATUS", "LATENCY MS"], status.history.map { [Output.date($0.checkedAt), $0.status, "\($0.latency_ms)"] })
            }
        }
    }
}

extension JSONEncoder {
    /// As the server writes its bodies: ISO 8601 instants, sorted keys.
    static var wire: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
