import ArgumentParser
import CisternClient
import Foundation

/// What every client command takes: which login to use, and whether to print the API's JSON.
struct ClientOptions: ParsableArguments {
    @Option(help: "The login to use, as `cistern login --profile` named it (CISTERN_PROFILE; default: default).")
    var profile: String?
    @Flag(help: "Print the API's JSON answer unchanged instead of a table.")
    var json = false

    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    var profileName: String { self.profile ?? Self.environment["CISTERN_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default" }

    /// A client signed in as the profile (or as `CISTERN_URL` with `CISTERN_TOKEN`).
    func client() async throws -> CisternClient {
        try await ClientSession.client(profile: self.profileName, environment: Self.environment, store: ProfileStore(environment: Self.environment))
    }

    /// Prints `answer` as its raw JSON under `--json`, else as `render` writes it.
    func show<T>(_ answer: (value: T, raw: Data), _ render: (T) -> Void) {
        if self.json {
            Output.write(answer.raw)
        } else {
            render(answer.value)
        }
    }
}

/// Text on standard output.
enum Output {
    /// Columns aligned on the widest cell, two spaces apart; the header in capitals.
    static func table(_ header: [String], _ rows: [[String]]) {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        for row in all {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
    }

    /// `name: value` lines, the names aligned.
    static func fields(_ pairs: [(String, String)]) {
        let width = pairs.map(\.0.count).max() ?? 0
        for (name, value) in pairs { print((name + ":").padding(toLength: width + 1, withPad: " ", startingAt: 0) + " " + value) }
    }

    /// Bytes as they came, ending with a newline.
    static func write(_ data: Data) {
        FileHandle.standardOutput.write(data)
        if data.last != UInt8(ascii: "\n") { FileHandle.standardOutput.write(Data("\n".utf8)) }
    }

    static func date(_ date: Date?) -> String { date?.formatted(.iso8601) ?? "-" }

    static func text(_ value: String?) -> String { value.flatMap { $0.isEmpty ? nil : $0 } ?? "-" }
}

/// Reads a password: from standard input with `--password-stdin` (one line), else from the
/// terminal without echo.
enum PasswordInput {
    static func read(fromStandardInput: Bool, prompt: String = "Password: ") throws -> String {
        if fromStandardInput {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw UsageError("--password-stdin: standard input holds no password")
            }
            return line
        }
        let terminal = open("/dev/tty", O_RDWR)
        guard terminal >= 0 else { throw UsageError("no terminal to read a password from: use --password-stdin") }
        close(terminal)
        guard let pointer = getpass(prompt) else { throw UsageError("no terminal to read a password from: use --password-stdin") }
        let password = String(cString: pointer)
        guard !password.isEmpty else { throw UsageError("no password given") }
        return password
    }
}

/// A command used wrongly in a way only its run finds out: `cistern: MESSAGE` on standard error,
/// exit status 2 (as for the usage errors the parser finds).
struct UsageError: Error {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}
