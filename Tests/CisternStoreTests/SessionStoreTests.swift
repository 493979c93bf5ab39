import CisternCore
import CisternStore
import Foundation
import SQLKit
import Testing

@Suite("Account and session store")
struct SessionStoreTests {
    let now = Date(timeIntervalSince1970: 1_767_225_600)

    @Test func theDatabaseItselfRefusesASecondLiveAccountForOneEmail() async throws {
        try await withMigratedDatabase { database in
            let accounts = SQLAccountStore(database: database)
            try await accounts.register(makeRegistration(email: "ada@example.com"))
            // Bypass the store's check: the unique index alone must refuse it.
            let other = makeRegistration(email: "ADA@example.com")
            try await database.withConnection { sql in
                try await sql.raw("INSERT INTO organizations (id, name, created_at) VALUES (\(bind: other.organization.id.canonical), 'x', 0)").run()
            }
            await #expect(throws: (any Error).self) {
                try await database.withConnection { sql in
                    try await sql.raw(
                        """
                        INSERT INTO users (id, org_id, email, email_key, password_hash, first_name, last_name, org_role, created_at)
                        VALUES ('u2', \(bind: other.organization.id.canonical), 'ADA@example.com', 'ada@example.com', 'h', 'a', 'b', 0, 0)
                        """
                    ).run()
                }
            }
            await #expect(throws: CisternError.emailAlreadyUsed) { try await accounts.register(other) }
        }
    }

    @Test func concurrentRotationsOfOneTokenYieldOneWinnerAndRevokeTheSession() async throws {
        try await withMigratedDatabase { database in
            let registration = makeRegistration(email: "ada@example.com")
            try await SQLAccountStore(database: database).register(registration)
            let sessions = SQLSessionStore(database: database)
            let session = Session(id: UUID(), userId: registration.owner.id, createdAt: now, expiresAt: now.addingTimeInterval(86_400))
            try await sessions.open(session, refreshTokenHash: "h0")
            let outcomes = try await withThrowingTaskGroup(of: RefreshOutcome.self) { group in
                for attempt in 0..<8 {
                    group.addTask {
                        try await sessions.rotate(
                            presentedHash: "h0", replacementHash: "h1-\(attempt)", now: now, expiresAt: now.addingTimeInterval(86_400))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let rotated = outcomes.filter { if case .rotated = $0 { true } else { false } }
            #expect(rotated.count == 1)
            #expect(outcomes.filter { $0 == .reuseDetected(sessionId: session.id) }.count == 7)
            #expect(try await sessions.liveSessions(userId: registration.owner.id, now: now).isEmpty)
        }
    }

    @Test func authenticationRecordIgnoresSessionsOfOtherUsers() async throws {
        try await withMigratedDatabase { database in
            let ada = makeRegistration(email: "ada@example.com")
            let bob = makeRegistration(email: "bob@example.com")
            try await SQLAccountStore(database: database).register(ada)
            try await SQLAccountStore(database: database).register(bob)
            let sessions = SQLSessionStore(database: database)
            let bobs = Session(id: UUID(), userId: bob.owner.id, createdAt: now, expiresAt: now.addingTimeInterval(60))
            try await sessions.open(bobs, refreshTokenHash: "bob")
            let record = try #require(try await sessions.authenticationRecord(userId: ada.owner.id, sessionId: bobs.id))
            #expect(record.user.id == ada.owner.id)
            #expect(record.session == nil)
            #expect(try await sessions.authenticationRecord(userId: bob.owner.id, sessionId: bobs.id)?.session == bobs)
        }
    }
}
