import HummingbirdBcrypt
import NIOPosix

/// bcrypt, run on the thread pool so a login never stalls the event loop.
package struct PasswordHasher: Sendable {
    let cost: UInt8
    /// A hash at the same cost, checked when there is no account, so that an unknown e-mail
    /// address takes as long to refuse as a wrong password.
    private let decoyHash: String

    package init(cost: Int) async throws {
        self.cost = UInt8(cost)
        self.decoyHash = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash("decoy password", cost: UInt8(cost)) }
    }

    package func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// Spends the time of one verification without an account to check.
    func verifyNothing(_ password: String) async throws {
        _ = try await self.verify(password, hash: self.decoyHash)
    }
}
