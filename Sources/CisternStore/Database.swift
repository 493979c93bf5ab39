import AsyncKit
import CisternCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit

/// The SQL database behind every store: a pool of connections to one engine (SQLite or
/// PostgreSQL), with the few differences between engines (how a write transaction begins, how a
/// uniqueness violation looks, how concurrent migrations are kept apart) kept here and nowhere else.
///
/// `@unchecked Sendable`: every stored property is immutable, and AsyncKit's pools, which predate
/// Sendable annotations, guard their own state with a lock.
public final class Database: @unchecked Sendable {
    /// The engine behind the connections.
    public enum Engine: String, Sendable {
        case sqlite
        case postgres
    }

    public let engine: Engine
    /// Where the database is, for logs: a file path, or a PostgreSQL URL without its password.
    public let location: String
    private let pool: any ConnectionLeasing
    let logger: Logger
    /// How this process's caches learn of changes, its own and other processes'.
    public let changes = ChangeFeed()

    private init(engine: Engine, location: String, pool: any ConnectionLeasing, logger: Logger) {
        self.engine = engine
        self.location = location
        self.pool = pool
        self.logger = logger
    }

    /// Opens the database a URL names: `sqlite:PATH` or a path for SQLite, `postgres://...` for
    /// PostgreSQL. Checks that it answers, so a bad location fails here and not at the first request.
    public static func open(url: String, connections: Int = 4, logger: Logger) async throws -> Database {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try await openPostgres(url: url, connections: connections, logger: logger)
        }
        return try await openSQLite(path: Self.sqlitePath(url) ?? url, connections: connections, logger: logger)
    }

    /// The file a `sqlite:PATH` or `sqlite://PATH` URL names (possibly empty), or nil for another URL.
    public static func sqlitePath(_ url: String) -> String? {
        for prefix in ["sqlite://", "sqlite:"] where url.hasPrefix(prefix) { return String(url.dropFirst(prefix.count)) }
        return nil
    }

    /// Opens a pool over the SQLite file at `path` (created when missing, WAL mode).
    public static func openSQLite(path: String, connections: Int = 4, logger: Logger) async throws -> Database {
        try Self.restrictFiles(ofSQLite: path, logger: logger)
        let eventLoops = MultiThreadedEventLoopGroup.singleton
        let perLoop = max(1, connections / Self.loopCount)
        // One thread per connection: a connection waiting on SQLite's write lock holds its thread,
        // and the holder of the lock must still find a thread to finish on.
        let threadPool = NIOThreadPool(numberOfThreads: perLoop * Self.loopCount)
        threadPool.start()
        let pool = EventLoopGroupConnectionPool(
            source: SQLiteConnectionSetup(path: path, threadPool: threadPool), maxConnectionsPerEventLoop: perLoop,
            requestTimeout: .seconds(30), logger: logger, on: eventLoops
        )
        let leasing = Pool(pool: pool, makeSQL: { $0.sql(queryLogLevel: nil) }, after: { try await threadPool.shutdownGracefully() })
        return try await Self.checked(Database(engine: .sqlite, location: path, pool: leasing, logger: logger))
    }

    /// Creates the SQLite database file, when missing, readable by its owner only (SQLite gives
    /// its `-wal` and `-shm` files the database file's mode), and takes group and other access
    /// away from existing ones: the file holds sealed secrets and password hashes.
    static func restrictFiles(ofSQLite path: String, logger: Logger) throws {
        let fileManager = FileManager.default
        guard path != ":memory:", !path.hasPrefix("file:") else { return }
        if !fileManager.fileExists(atPath: path) {
            guard fileManager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw DatabaseUnavailable(location: path, reason: "cannot create the file")
            }
            return
        }
        for file in [path, path + "-wal", path + "-shm"] {
            guard let mode = (try? fileManager.attributesOfItem(atPath: file))?[.posixPermissions] as? Int, mode & 0o077 != 0 else { continue }
            try? fileManager.setAttributes([.posixPermissions: mode & 0o700], ofItemAtPath: file)
            logger.notice("took group and other access away from a database file", metadata: ["path": "\(file)"])
        }
    }

    /// Opens a pool over the PostgreSQL database a `postgres://user:password@host:port/database`
    /// URL names (TLS when the server offers it, unless `?sslmode=disable`). As with libpq,
    /// `connect_timeout=SECONDS` bounds each connection attempt (default 10).
    public static func openPostgres(url: String, connections: Int = 8, logger: Logger) async throws -> Database {
        let location = Self.redacted(url)
        var configuration: SQLPostgresConfiguration
        do {
            let (plainURL, timeout) = Self.connectTimeout(in: url)
            configuration = try SQLPostgresConfiguration(url: plainURL)
            if let timeout, timeout > 0 { configuration.coreConfiguration.options.connectTimeout = .seconds(timeout) }
        } catch {
            // The URL error would repeat the whole URL, password included.
            throw DatabaseUnavailable(location: location, reason: "not a valid PostgreSQL URL")
        }
        let pool = EventLoopGroupConnectionPool(
            source: PostgresConnectionSource(sqlConfiguration: configuration), maxConnectionsPerEventLoop: max(1, connections / Self.loopCount),
            requestTimeout: .seconds(30), logger: logger, on: MultiThreadedEventLoopGroup.singleton
        )
        let leasing = Pool(pool: pool, makeSQL: { $0.sql(queryLogLevel: nil) }, after: {})
        return try await Self.checked(Database(engine: .postgres, location: location, pool: leasing, logger: logger))
    }

    /// libpq's `connect_timeout=SECONDS`, which PostgresKit does not read, and the URL without it.
    static func connectTimeout(in url: String) -> (url: String, seconds: Int64?) {
        guard var components = URLComponents(string: url), let items = components.queryItems,
            let item = items.first(where: { $0.name == "connect_timeout" })
        else { return (url, nil) }
        let rest = items.filter { $0.name != "connect_timeout" }
        components.queryItems = rest.isEmpty ? nil : rest
        return (components.string ?? url, item.value.flatMap(Int64.init))
    }

    private static var loopCount: Int { Array(MultiThreadedEventLoopGroup.singleton.makeIterator()).count }

    private static func checked(_ database: Database) async throws -> Database {
        do {
            try await database.ping()
        } catch {
            try? await database.close()
            throw DatabaseUnavailable(location: database.location, reason: Self.describe(error))
        }
        return database
    }

    /// Runs `body` on one connection leased from the pool.
    public func withConnection<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await self.pool.withConnection(logger: self.logger, body)
    }

    /// Runs `body` inside one write transaction: committed when it returns, rolled back when it throws.
    ///
    /// Write transactions are serializable on both engines: SQLite takes its write lock at `BEGIN`
    /// (so writers queue instead of deadlocking); PostgreSQL runs them `SERIALIZABLE` and the
    /// transaction is retried when the server aborts it as the loser of a conflict. `body` may
    /// therefore run more than once, and must not do anything but database work.
    ///
    /// Retries back off exponentially with full jitter (at most about 1.5 s in all); a
    /// transaction that still loses after that is `CisternError.databaseBusy` (503 with
    /// `Retry-After`), never a server error.
    public func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        for attempt in 0..<Self.transactionAttempts {
            do {
                return try await self.withConnection { sql in try await self.transaction(on: sql, body) }
            } catch let error where self.isSerializationFailure(error) {
                self.logger.debug("transaction lost a conflict", metadata: ["attempt": "\(attempt + 1)"])
                if attempt + 1 < Self.transactionAttempts {
                    try await Task.sleep(for: .microseconds(Int.random(in: 500...(1000 << min(attempt, 9)))))
                }
            }
        }
        throw CisternError.databaseBusy
    }

    public static let transactionAttempts = 12

    /// A write transaction that changes something in-memory caches hold (users, sessions,
    /// memberships, buckets, repositories, keys): it counts the change in the change feed, and
    /// returns once no process's cache serves what it replaced (`ChangeFeed`).
    public func changeTransaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await self.transactionReportingChange { sql in (try await body(sql), true) }
    }

    /// `changeTransaction` for a body that tells whether it changed anything cached after all
    /// (a refused or empty change moves no cache).
    public func transactionReportingChange<T: Sendable>(_ body: (any SQLDatabase) async throws -> (T, changed: Bool)) async throws -> T {
        let (result, epoch) = try await self.transaction { sql in
            let (result, changed) = try await body(sql)
            return (result, changed ? try await self.changes.record(on: sql) : nil)
        }
        if let epoch { await self.changes.published(epoch, on: self) }
        return result
    }

    /// Starts following the change feed (once migrated): from then on caches may serve.
    public func watchChanges() async {
        await self.changes.start(on: self)
    }

    /// Runs `body` in one write transaction on a connection the caller holds (no retry).
    public func transaction<T: Sendable>(on sql: any SQLDatabase, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            try await sql.raw(self.beginWrite).run()
        } catch  where self.engine == .sqlite && String(describing: error).contains("within a transaction") {
            // A connection came back from the pool still inside a transaction, holding SQLite's
            // write lock for every other connection. Seen once under the full test suite's load,
            // cause not found: end it (nothing of it was committed) and say so, rather than leave
            // the database locked until the process restarts.
            self.logger.error("a pooled connection was still inside a transaction; rolled it back")
            try await sql.raw("ROLLBACK").run()
            try await sql.raw(self.beginWrite).run()
        }
        do {
            let result = try await body(sql)
            try await sql.raw("COMMIT").run()
            AuditTrail.current?.transactionEnded(committed: true)
            return result
        } catch {
            AuditTrail.current?.transactionEnded(committed: false)
            try? await sql.raw("ROLLBACK").run()
            throw error
        }
    }

    /// Runs `body` on one connection while holding a lock that every process using this database
    /// shares, taken before any transaction begins (so what `body` reads is current): SQLite's
    /// write transactions already exclude each other; PostgreSQL takes a session advisory lock.
    /// Migrations use it, so replicas starting together apply them one at a time.
    public func withExclusiveConnection<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await self.withConnection { sql in
            guard self.engine == .postgres else { return try await body(sql) }
            try await sql.raw("SELECT pg_advisory_lock(\(literal: Self.migrationLockKey))").run()
            do {
                let result = try await body(sql)
                try await sql.raw("SELECT pg_advisory_unlock(\(literal: Self.migrationLockKey))").run()
                return result
            } catch {
                try? await sql.raw("SELECT pg_advisory_unlock(\(literal: Self.migrationLockKey))").run()
                throw error
            }
        }
    }

    private static let migrationLockKey = 0x6369_7374_6572_6e31  // "cistern1"

    /// Succeeds when the database answers a trivial query.
    public func ping() async throws {
        try await self.withConnection { try await $0.raw("SELECT 1").run() }
    }

    /// Whether `error` is a violation of a unique constraint or index.
    public func isUniqueViolation(_ error: any Error) -> Bool {
        if let error = error as? SQLiteError {
            return error.reason == .constraintUniqueFailed || error.reason == .constraintPrimaryKeyFailed
        }
        return (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }

    /// Whether `error` is PostgreSQL aborting a transaction that lost a conflict (serialization
    /// failure or deadlock): the transaction can simply run again.
    func isSerializationFailure(_ error: any Error) -> Bool {
        guard let state = (error as? PSQLError)?.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    /// Closes every connection. The database must not be used afterwards.
    public func close() async throws {
        await self.changes.stop(on: self)
        try await self.pool.close()
    }

    private var beginWrite: SQLQueryString {
        switch self.engine {
        case .sqlite: "BEGIN IMMEDIATE"
        case .postgres: "BEGIN ISOLATION LEVEL SERIALIZABLE"
        }
    }

    /// A PostgreSQL URL without its password.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "postgres://(unreadable URL)" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "postgres://(unreadable URL)"
    }

    /// A short description of a database failure that never repeats a password or a statement.
    public static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return String("\(error.code): \(underlying)".prefix(300)) }
            return "\(error.code)"
        }
        return String("\(error)".prefix(300))
    }
}

/// Leasing connections from one kind of pool.
private protocol ConnectionLeasing: Sendable {
    func withConnection<T: Sendable>(logger: Logger, _ body: (any SQLDatabase) async throws -> T) async throws -> T
    func close() async throws
}

/// An AsyncKit pool of any engine's connections.
private struct Pool<Source: ConnectionPoolSource>: ConnectionLeasing, @unchecked Sendable where Source.Connection: Sendable {
    let pool: EventLoopGroupConnectionPool<Source>
    let makeSQL: @Sendable (Source.Connection) -> any SQLDatabase
    let after: @Sendable () async throws -> Void

    func withConnection<T: Sendable>(logger: Logger, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        let connection = try await self.pool.requestConnection(logger: logger).get()
        defer { self.pool.releaseConnection(connection, logger: logger) }
        return try await body(self.makeSQL(connection))
    }

    func close() async throws {
        try await self.pool.shutdownAsync()
        try await self.after()
    }
}

/// The database cannot be opened or does not answer.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public var location: String
    public var reason: String
    public var description: String { "database at \(self.location) is unavailable: \(self.reason)" }
}

/// Opens SQLite connections with the settings every connection needs.
struct SQLiteConnectionSetup: ConnectionPoolSource {
    let path: String
    let threadPool: NIOThreadPool

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        SQLiteConnection.open(storage: .file(path: self.path), threadPool: self.threadPool, logger: logger, on: eventLoop)
            .flatMap { connection in
                // The busy timeout first: switching to WAL takes a lock that another process (one
                // migrating the same new file) may hold, and without it that fails at once.
                let pragmas = [
                    "PRAGMA busy_timeout = 10000",
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = NORMAL",
                    "PRAGMA foreign_keys = ON",
                ]
                return pragmas.reduce(eventLoop.makeSucceededVoidFuture()) { previous, pragma in
                    previous.flatMap { connection.query(pragma).map { _ in } }
                }
                .map { connection }
                .flatMapErrorThrowing { error in
                    _ = connection.close()
                    throw error
                }
            }
    }
}
