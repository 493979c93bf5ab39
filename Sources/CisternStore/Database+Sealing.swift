import CisternCore
import Foundation
import SQLKit

extension Database {
    /// Seals every stored secret (bucket credentials, repository key secrets, deleted rows'
    /// included) under `sealer`'s current master key, in one transaction: a secret sealed under
    /// another key is opened with it (so `sealer` must hold that key too) and sealed again. Either
    /// every secret moves or none does. Returns how many were sealed again.
    public func resealSecrets(with sealer: SecretSealer) async throws -> (buckets: Int, keys: Int) {
        try await self.changeTransaction { sql in
            var counts: [Int] = []
            for (table, context) in [("buckets", Bucket.sealingContext), ("repository_keys", RepositoryKey.sealingContext)] {
                let rows = try await sql.raw(
                    """
                    SELECT id, secret_key_version, secret_iv, secret_auth_tag, secret_message FROM \(ident: table)
                    WHERE secret_key_version <> \(bind: sealer.current.version)
                    """
                ).all()
                for row in rows {
                    let id = try row.uuid("id")
                    let sealed = SealedSecret(
                        key: try row.decode(column: "secret_key_version", as: String.self),
                        iv: try row.decode(column: "secret_iv", as: String.self),
                        authTag: try row.decode(column: "secret_auth_tag", as: String.self),
                        message: try row.decode(column: "secret_message", as: String.self)
                    )
                    let resealed = try sealer.seal(try sealer.open(sealed, context: context(id)), context: context(id))
                    try await sql.raw(
                        """
                        UPDATE \(ident: table) SET secret_key_version = \(bind: resealed.key), secret_iv = \(bind: resealed.iv),
                            secret_auth_tag = \(bind: resealed.authTag), secret_message = \(bind: resealed.message)
                        WHERE id = \(bind: id.canonical)
                        """
                    ).run()
                }
                counts.append(rows.count)
            }
            try await self.audit(
                on: sql, target: "master-key/\(sealer.current.version)", details: ["buckets": "\(counts[0])", "keys": "\(counts[1])"]
            )
            return (counts[0], counts[1])
        }
    }
}
