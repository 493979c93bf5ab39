import ArgumentParser
import CisternClient
import CisternCore
import CisternWire
import Foundation

struct WorkspaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspace", abstract: "Workspaces of your organization.", subcommands: [List.self, Create.self, Remove.self, Members.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the workspaces you can see.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let answer = try await self.options.client().call(.GET, "/workspace", as: WorkspaceListResponse.self)
            self.options.show(answer) { list in
                Output.table(
                    ["ID", "NAME", "DEFAULT", "MEMBERS"],
                    list.workspaces.map { [$0.id, $0.name, $0.default ? "yes" : "no", "\($0.users.count)"] }
                )
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a workspace (you become its ADMIN).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Its name.") var name: String

        func run() async throws {
            let answer = try await self.options.client().call(
                .POST, "/workspace", body: WorkspaceNameRequest(name: self.name), as: WorkspaceSummaryEnvelope.self)
            self.options.show(answer) { print("Created workspace \($0.workspace.name): \($0.workspace.id)") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete an empty workspace.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The workspace's id.") var id: String

        func run() async throws {
            let answer = try await self.options.client().call(.DELETE, "/workspace/\(CisternClient.segment(self.id))", as: SuccessResponse.self)
            self.options.show(answer) { _ in print("Deleted workspace \(self.id).") }
        }
    }

    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a workspace's members, or add (--add USER --role ROLE), change (--set) or remove (--remove) one."
        )
        @OptionGroup var options: ClientOptions
        @Argument(help: "The workspace's id.") var id: String
        @Option(help: "Add this user (id) to the workspace.") var add: String?
        @Option(help: "Change this member's (user id) role.") var set: String?
        @Option(help: "Remove this member (user id).") var remove: String?
        @Option(help: "READ, WRITE or ADMIN (with --add or --set).") var role: String?

        func validate() throws {
            guard [self.add, self.set, self.remove].compactMap({ $0 }).count <= 1 else {
                throw ValidationError("give at most one of --add, --set and --remove")
            }
            if self.add != nil || self.set != nil, self.role == nil { throw ValidationError("--role is required with --add and --set") }
        }

        func run() async throws {
            let client = try await self.options.client()
            let workspace = "/workspace/\(CisternClient.segment(self.id))"
            if let user = self.add {
                let answer = try await client.call(
                    .POST, workspace + "/users", body: AddMemberRequest(userId: user, role: self.role!.uppercased()), as: SuccessResponse.self
                )
                return self.options.show(answer) { _ in print("Added \(user) to \(self.id) as \(self.role!.uppercased()).") }
            }
            if let user = self.set {
                let answer = try await client.call(
                    .PUT, workspace + "/users/\(CisternClient.segment(user))", body: SetMemberRoleRequest(role: self.role!.uppercased()),
                    as: SuccessResponse.self
                )
                return self.options.show(answer) { _ in print("\(user) is now \(self.role!.uppercased()) in \(self.id).") }
            }
            if let user = self.remove {
                let answer = try await client.call(.DELETE, workspace + "/users/\(CisternClient.segment(user))", as: SuccessResponse.self)
                return self.options.show(answer) { _ in print("Removed \(user) from \(self.id).") }
            }
            let answer = try await client.call(.GET, workspace, as: WorkspaceEnvelope.self)
            self.options.show(answer) { envelope in
                Output.table(
                    ["USER", "EMAIL", "NAME", "ROLE"],
                    envelope.workspace.users.map { [$0.userId, $0.user.email, "\($0.user.name) \($0.user.lastName)", $0.role] }
                )
            }
        }
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Users of your organization.", subcommands: [List.self, Add.self, Role.self, Remove.self]
    )

    /// An organization role by name (USER ... OWNER) or number (0 ... 255).
    static func role(_ text: String) throws -> Int {
        if let number = Int(text), OrgRole(rawValue: number) != nil { return number }
        guard let role = OrgRole.allCases.first(where: { $0.name == text.uppercased() }) else {
            throw ValidationError("unknown role \(text): one of \(OrgRole.allCases.map(\.name).joined(separator: ", "))")
        }
        return role.rawValue
    }

    static func roleName(_ value: Int) -> String { OrgRole(rawValue: value)?.name ?? "\(value)" }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the organization's users.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let answer = try await self.options.client().call(.GET, "/organization/users", as: OrgUserListResponse.self)
            self.options.show(answer) { list in
                Output.table(
                    ["ID", "EMAIL", "NAME", "ROLE"], list.data.map { [$0.id, $0.email, "\($0.name) \($0.lastName)", $0.orgRoleDescription] }
                )
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user to the organization.", discussion: "The new user's password is read like `cistern login` reads yours."
        )
        @OptionGroup var options: ClientOptions
        @Option(help: "Their e-mail address.") var email: String
        @Option(name: .customLong("first-name"), help: "Their first name.") var firstName: String
        @Option(name: .customLong("last-name"), help: "Their last name.") var lastName: String
        @Option(help: "USER, BILLING, WORKSPACES, ADMINISTRATORS or OWNER (default USER).") var role: String?
        @Flag(name: .customLong("password-stdin"), help: "Read their password from standard input.") var passwordStdin = false

        func run() async throws {
            let role = try self.role.map(UserCommand.role)
            let password = try PasswordInput.read(fromStandardInput: self.passwordStdin, prompt: "Their password: ")
            let answer = try await self.options.client().call(
                .POST, "/organization/users",
                body: CreateOrgUserRequest(email: self.email, password: password, firstName: self.firstName, lastName: self.lastName, orgRole: role),
                as: OrgUserEnvelope.self
            )
            self.options.show(answer) { print("Added \($0.data.email) as \($0.data.orgRoleDescription): \($0.data.id)") }
        }
    }

    struct Role: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a user's organization role.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The user's id.") var id: String
        @Argument(help: "USER, BILLING, WORKSPACES, ADMINISTRATORS or OWNER.") var role: String

        func run() async throws {
            let answer = try await self.options.client().call(
                .PUT, "/user/\(CisternClient.segment(self.id))/role", body: SetOrgRoleRequest(orgRole: try UserCommand.role(self.role)),
                as: RoleChangeResponse.self
            )
            self.options.show(answer) {
                print("\($0.data.userId): \(UserCommand.roleName($0.data.previousRole)) → \(UserCommand.roleName($0.data.newRole))")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a user (their sessions end).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The user's id.") var id: String

        func run() async throws {
            let answer = try await self.options.client().call(
                .DELETE, "/organization/users/\(CisternClient.segment(self.id))", as: SuccessResponse.self)
            self.options.show(answer) { _ in print("Deleted user \(self.id).") }
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The organization's audit log, newest first (global access).",
        discussion: "One page at a time: --cursor takes the value the previous page printed last."
    )
    @OptionGroup var options: ClientOptions
    @Option(help: "Only this user's events (a user id).") var actor: String?
    @Option(help: "Only this action (bucket.create), or a kind of action (bucket.*).") var action: String?
    @Option(help: "Only events on this target (bucket/ID).") var target: String?
    @Option(help: "From this date or instant (ISO 8601).") var from: String?
    @Option(help: "Up to this date or instant (ISO 8601).") var to: String?
    @Option(help: "Events per page (1...1000; default 100).") var limit: Int?
    @Option(help: "Where the previous page ended.") var cursor: String?

    func run() async throws {
        let path = CisternClient.path(
            "/audit",
            query: [
                ("actor", self.actor), ("action", self.action), ("target", self.target), ("from", self.from), ("to", self.to),
                ("limit", self.limit.map(String.init)), ("cursor", self.cursor),
            ]
        )
        let answer = try await self.options.client().call(.GET, path, as: AuditListResponse.self)
        self.options.show(answer) { page in
            Output.table(
                ["TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME", "ADDRESS"],
                page.events.map {
                    [
                        $0.at, Output.text($0.actorEmail ?? $0.actorId), $0.action, Output.text($0.target),
                        $0.outcome + ($0.status.map { " \($0)" } ?? ""), $0.clientAddress,
                    ]
                }
            )
            if let next = page.nextCursor { print("more: --cursor \(next)") }
        }
    }
}
