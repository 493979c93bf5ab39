import AsyncHTTPClient
import CisternCore
import CisternStore
import Foundation
import Logging
import NIOCore

/// How one request reaches several members: MIRROR's write fan-out and read failover. NORMAL
/// requests go through the same two functions with a single member, which reduce to one call.
///
/// The contract (docs/gateway.md, "MIRROR"): a write goes to every member at once; it succeeds
/// when the master took it, and every mirror that did not (or that took a write the master
/// refused) has a repair row committed before the answer leaves. Reads go to the master and fail
/// over to a mirror when the master cannot be reached, answers 5xx or times out before its head.
extension GatewayHandler {
    /// Runs `write` on every route's store at once (as `operation`) and returns each outcome in
    /// order. A mirror's share is bounded by `mirrorTimeout`, after which a stalled mirror is cut
    /// loose; any other member's by `upstreamDeadline`.
    func each<T: Sendable>(
        _ routes: [MemberRoute], _ operation: String, _ write: @escaping @Sendable (any ObjectStore, MemberRoute) async throws -> T
    ) async -> [Result<T, any Error>] {
        let run: @Sendable (MemberRoute) async -> Result<T, any Error> = { route in
            do {
                return .success(try await self.member(route, operation, timeout: self.timeout(for: route)) { try await write($0, route) })
            } catch {
                return .failure(error)
            }
        }
        if routes.count == 1 { return [await run(routes[0])] }
        return await withTaskGroup(of: (Int, Result<T, any Error>).self) { group in
            for (index, route) in routes.enumerated() {
                group.addTask { (index, await run(route)) }
            }
            var results = [Result<T, any Error>?](repeating: nil, count: routes.count)
            for await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }

    func timeout(for route: MemberRoute) -> TimeAmount { route.isMirror ? self.mirrorTimeout : self.upstreamDeadline }

    /// A write on every member of `targets`, settled: the primary's outcome is the answer, and
    /// the mirrors left uneven by it get repairs of `keys` committed first.
    func fanOut<T: Sendable>(
        _ call: Call, _ targets: Targets, _ name: String, repair keys: [String], as operation: ReplicationOperation,
        _ write: @escaping @Sendable (any ObjectStore, MemberRoute) async throws -> T
    ) async throws -> T {
        let results = await self.each(targets.all, name, write)
        let mirrors = zip(targets.mirrors, results.dropFirst()).map { ($0, $1.isSuccess) }
        return try await self.settle(call, primary: results[0], mirrors: mirrors, repair: keys, as: operation)
    }

    /// The primary's result, once every mirror whose outcome differs from the primary's has its
    /// repair rows: a mirror that missed a write the master took, or took one the master refused.
    func settle<T>(
        _ call: Call, primary: Result<T, any Error>, mirrors: [(route: MemberRoute, succeeded: Bool)], repair keys: [String],
        as operation: ReplicationOperation
    ) async throws -> T {
        let uneven = mirrors.filter { $0.succeeded != primary.isSuccess }.map(\.route)
        if !uneven.isEmpty && !keys.isEmpty {
            let repositoryId = call.credential.repository.id
            do {
                for mirror in uneven {
                    try await self.replication.enqueue(
                        repositoryId: repositoryId, bucketId: mirror.bucket.id, keys: keys, operation: operation, now: self.timeSource.now
                    )
                }
            } catch {
                self.logger.error("repair not recorded", metadata: ["repository": "\(repositoryId.canonical)", "error": "\(error)"])
                throw S3Error("ServiceUnavailable", "The write could not be recorded for every mirror. Please try again.", status: 503)
            }
            self.logger.info(
                "mirror left uneven; repair queued",
                metadata: ["repository": "\(repositoryId.canonical)", "mirrors": "\(uneven.map(\.bucket.id.canonical))", "keys": "\(keys.count)"]
            )
        }
        return try primary.get()
    }

    /// `read` on the members of `targets` in read order, moving on while a member cannot serve
    /// (unreachable, 5xx, no answer in time: `ServiceUnavailable`). Any other answer, a 404
    /// included, is final: repairs only ever run master to mirror, so the master's 404 is the
    /// repository's.
    func failingOver<T: Sendable>(_ targets: Targets, _ read: (MemberRoute) async throws -> T) async throws -> T {
        let order = targets.readOrder
        for (index, route) in order.enumerated() {
            do {
                return try await read(route)
            } catch let error as S3Error where error.status == 503 && index + 1 < order.count {
                self.logger.info("read fails over", metadata: ["bucket": "\(route.bucket.id.canonical)", "error": "\(error.code)"])
            }
        }
        preconditionFailure("the last member's error is thrown")
    }

    /// The upload id each member knows a client's multipart upload by: the client's own for the
    /// primary, the recorded one for a mirror (nil: that mirror has none and will be repaired).
    func memberUploadIds(_ call: Call, _ targets: Targets) async throws -> [UUID: String] {
        guard let uploadId = call.query.first(where: { $0.name == "uploadId" })?.value else { return [:] }
        var ids = [targets.primary.bucket.id: uploadId]
        if !targets.mirrors.isEmpty {
            let recorded = try await self.replication.memberUploads(repositoryId: call.credential.repository.id, uploadId: uploadId)
            ids.merge(recorded) { primary, _ in primary }
        }
        return ids
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
