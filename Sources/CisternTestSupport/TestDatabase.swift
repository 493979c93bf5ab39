import CisternStore
import Foundation
import Logging

/// The database a test runs on: a fresh SQLite file, or, when `CISTERN_TEST_POSTGRES_URL` names
/// a PostgreSQL server (scripts/test sets it for its second pass), a fresh database on it.
public enum TestDatabase {
    /// Whether this test run uses PostgreSQL.
    public static var onPostgres: Bool { server != nil }

    static var server: String? {
        ProcessInfo.processInfo.environment["CISTERN_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A URL for a new, empty database (`sqlite:` in `directory`, or a new PostgreSQL database).
    public static func freshURL(in directory: String) async throws -> String {
        guard let server else { return "sqlite:" + (directory as NSString).appendingPathComponent("cistern.sqlite") }
        guard var components = URLComponents(string: server) else { throw TestDatabaseError(description: "unreadable server URL") }
        // Hundreds of tests connect at once on two cores: a connection, the administrative one
        // that creates each test's database included, may take longer than the default 10 s.
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "connect_timeout", value: "60")]
        let admin = try await Database.openPostgres(url: components.string!, connections: 1, logger: Logger(label: "test"))
        let name = "cistern_t_" + UUID().canonical.replacingOccurrences(of: "-", with: "")
        do {
            try await admin.withConnection { try await $0.raw("CREATE DATABASE \(ident: name)").run() }
            try await admin.close()
        } catch {
            try? await admin.close()
            throw error
        }
        components.path = "/" + name
        return components.string!
    }
}

struct TestDatabaseError: Error, CustomStringConvertible {
    var description: String
}
