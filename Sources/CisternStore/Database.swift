import AsyncKit
import CisternCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit

/// The SQL database behind every store: a pool of connections to one engine, with the few
/// differences between engines (how a write transaction begins, how a uniqueness violation
/// looks) kept here and nowhere else.
///
/// `@unchecked Sendable`: every stored property is immutable, and AsyncKit's pool, which predates
/// Sendable annotations, guards its own state with a lock.
public final class Database: @unchecked Sendable {
    /// The engine behind the connections.
    public enum Engine: String, Sendable {
        case sqlite
    }

    public let engine: Engine
    public let location: String
    private let pool: EventLoopGroupConnectionPool<SQLiteConnectionSetup>
    private let threadPool: NIOThreadPool
    private let logger: Logger

    private init(
        engine: Engine, location: String, pool: EventLoopGroupConnectionPool<SQLiteConnectionSetup>,
        threadPool: NIOThreadPool, logger: Logger
    ) {
        self.engine = engine
        self.location = location
        self.pool = pool
        self.threadPool = threadPool
        self.logger = logger
    }

    /// Opens a pool over the SQLite file at `path` (created when missing, WAL mode) and checks
    /// that it answers, so a bad location fails here and not at the first request.
    public static func openSQLite(path: String, connections: Int = 4, logger: Logger) async throws -> Database {
        let eventLoops = MultiThreadedEventLoopGroup.singleton
        let loopCount = Array(eventLoops.makeIterator()).count
        let perLoop = max(1, connections / loopCount)
        // One thread per connection: a connection waiting on SQLite's write lock holds its thread,
        // and the holder of the lock must still find a thread to finish on.
        let threadPool = NIOThreadPool(numberOfThreads: perLoop * loopCount)
        threadPool.start()
        let source = SQLiteConnectionSetup(path: path, threadPool: threadPool)
        let pool = EventLoopGroupConnectionPool(
            source: source, maxConnectionsPerEventLoop: perLoop, requestTimeout: .seconds(30), logger: logger, on: eventLoops
        )
        let database = Database(engine: .sqlite, location: path, pool: pool, threadPool: threadPool, logger: logger)
        do {
            try await database.ping()
        } catch {
            try? await database.close()
            throw DatabaseUnavailable(location: path, reason: String(describing: error))
        }
        return database
    }

    /// Runs `body` on one connection leased from the pool.
    public func withConnection<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        let connection = try await self.pool.requestConnection(logger: self.logger).get()
        defer { self.pool.releaseConnection(connection, logger: self.logger) }
        return try await body(connection.sql(queryLogLevel: nil))
    }

    /// Runs `body` inside one write transaction: committed when it returns, rolled back when it throws.
    /// On SQLite the write lock is taken at `BEGIN`, so two writers queue instead of deadlocking.
    public func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await self.withConnection { sql in
            try await sql.raw(self.beginWrite).run()
            do {
                let result = try await body(sql)
                try await sql.raw("COMMIT").run()
                return result
            } catch {
                try? await sql.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    /// Succeeds when the database answers a trivial query.
    public func ping() async throws {
        try await self.withConnection { try await $0.raw("SELECT 1").run() }
    }

    /// Whether `error` is a violation of a unique constraint or index.
    public func isUniqueViolation(_ error: any Error) -> Bool {
        guard let error = error as? SQLiteError else { return false }
        return error.reason == .constraintUniqueFailed || error.reason == .constraintPrimaryKeyFailed
    }

    /// Closes every connection. The database must not be used afterwards.
    public func close() async throws {
        try await self.pool.shutdownAsync()
        try await self.threadPool.shutdownGracefully()
    }

    private var beginWrite: SQLQueryString {
        switch self.engine {
        case .sqlite: "BEGIN IMMEDIATE"
        }
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
                let pragmas = [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = NORMAL",
                    "PRAGMA busy_timeout = 10000",
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
