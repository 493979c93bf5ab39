import ArgumentParser
import CisternClient
import CisternWire
import Foundation

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign in to a Cistern server and keep the session in a profile.",
        discussion: "The password is read from the terminal without echo, or from standard input with --password-stdin."
    )

    @Argument(help: "The server's management API, e.g. http://127.0.0.1:8080.") var url: String
    @Option(help: "Your e-mail address.") var email: String
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.") var passwordStdin = false
    @Option(help: "The profile to keep the session in (CISTERN_PROFILE; default: default).") var profile: String?

    func run() async throws {
        let password = try PasswordInput.read(fromStandardInput: self.passwordStdin)
        let client = CisternClient(baseURL: self.url)
        let session = try await client.call(
            .POST, "/user/login",
            body: LoginRequest(email: self.email, password: password, deviceInfo: .init(userAgent: "cistern-cli")), as: SessionResponse.self
        ).value
        let name = self.profile ?? ClientOptions(profile: nil).profileName
        let environment = ClientOptions.environment
        let store = ProfileStore(environment: environment)
        try await store.update { profiles in
            profiles[name] = ProfileStore.Profile(
                url: client.baseURL, email: self.email, refreshToken: session.refreshToken, accessToken: session.accessToken,
                accessTokenExpiresAt: session.expiresAt
            )
        }
        print("Logged in to \(client.baseURL) as \(self.email) (profile \(name), kept in \(store.path)).")
    }
}

extension ClientOptions {
    init(profile: String?) {
        self.init()
        self.profile = profile
    }
}

struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "End the profile's session at the server and forget it here.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let store = ProfileStore(environment: ClientOptions.environment)
        let name = self.options.profileName
        guard let profile = try store.profiles()[name], let refreshToken = profile.refreshToken else {
            throw APIError(status: 0, message: "profile \(name) is not logged in")
        }
        let client = try await self.options.client()
        _ = try await client.call(.POST, "/user/logout", body: RefreshTokenRequest(refreshToken: refreshToken))
        try await store.update { profiles in
            profiles[name]?.refreshToken = nil
            profiles[name]?.accessToken = nil
            profiles[name]?.accessTokenExpiresAt = nil
        }
        print("Logged out of \(profile.url) (profile \(name)).")
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Your sessions (each login is one).", subcommands: [List.self, Remove.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List your live sessions.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let answer = try await self.options.client().call(.GET, "/token", as: TokenListResponse.self)
            self.options.show(answer) { list in
                Output.table(
                    ["ID", "CREATED", "EXPIRES", "LAST USED", "USER AGENT"],
                    list.tokens.map {
                        [$0.id, Output.date($0.createdAt), Output.date($0.expiresAt), Output.date($0.lastUsedAt), Output.text($0.userAgent)]
                    }
                )
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "End one of your sessions.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The session's id (`cistern token ls`).") var id: String

        func run() async throws {
            let answer = try await self.options.client().call(.DELETE, "/token/\(CisternClient.segment(self.id))", as: SuccessResponse.self)
            self.options.show(answer) { _ in print("Ended session \(self.id).") }
        }
    }
}
