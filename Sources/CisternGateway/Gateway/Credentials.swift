import CisternBootstrap
import CisternCore
import CisternStore

/// A repository key as the gateway uses it: its secret unsealed, its repository, and how to
/// reach each member by the provider bucket name requests use.
struct Credential: Sendable {
    var key: RepositoryKey
    var secret: SecretValue
    var repository: Repository
    /// Members by provider bucket name, in the repository's order.
    var members: [(name: String, route: MemberRoute)]

    func route(_ bucketName: String) -> MemberRoute? { self.members.first { $0.name == bucketName }?.route }
}

/// One member of a repository, ready to be called.
struct MemberRoute: Sendable {
    var member: RepositoryMember
    var bucket: Bucket
    var connection: BucketConnection
    /// Whether it is a mirror in a MIRROR write (its share is bounded by `mirrorTimeout`).
    var isMirror = false
}

extension MemberRoute {
    /// `member` of `bucket`, its credentials unsealed with `sealer`.
    init(_ member: RepositoryMember, of bucket: Bucket, unsealingWith sealer: SecretSealer) throws {
        self.init(member: member, bucket: bucket, connection: try bucket.connection(unsealingWith: sealer))
    }
}

/// Repository keys by access key id, with their repositories and members: a request needs no
/// database round trip. Any change to keys, repositories or buckets empties it, in this process
/// at once and in every other before the change's response (`ChangeCache`, `ChangeFeed`).
final class CredentialCache: Sendable {
    let repositories: any RepositoryStore
    let buckets: any BucketStore
    let sealer: SecretSealer
    private let credentials: ChangeCache<String, Credential>

    init(repositories: any RepositoryStore, buckets: any BucketStore, sealer: SecretSealer, changes: ChangeFeed, capacity: Int = 10_000) {
        self.repositories = repositories
        self.buckets = buckets
        self.sealer = sealer
        self.credentials = ChangeCache(feed: changes, capacity: capacity)
    }

    /// The live credential of `accessKey`, or nil when no live key has it.
    func credential(_ accessKey: String) async throws -> Credential? {
        try await self.credentials.value(accessKey) { try await self.load(accessKey) }
    }

    private func load(_ accessKey: String) async throws -> Credential? {
        guard let (key, repository) = try await self.repositories.credential(accessKey: accessKey) else { return nil }
        let secret = try self.sealer.open(key.secret, context: RepositoryKey.sealingContext(key.id))
        let rows = try await self.buckets.buckets(ids: repository.members.map(\.bucketId))
        var members: [(name: String, route: MemberRoute)] = []
        for member in repository.members {
            guard let bucket = rows.first(where: { $0.id == member.bucketId }) else { continue }
            let route = try MemberRoute(member, of: bucket, unsealingWith: self.sealer)
            members.append((bucket.bucket, route))
        }
        return Credential(key: key, secret: secret, repository: repository, members: members)
    }
}

/// The members a request's bucket name reaches. NORMAL: the one member of that name. MIRROR:
/// every member, whichever of their names the request used, the master first.
struct Targets: Sendable {
    /// The member whose answer is the client's: NORMAL's member, MIRROR's master.
    var primary: MemberRoute
    /// MIRROR's other members, which every write also reaches.
    var mirrors: [MemberRoute]

    var all: [MemberRoute] { [self.primary] + self.mirrors }

    /// Where reads go, in order: the primary, then the mirrors; a primary the monitor found
    /// OFFLINE goes last.
    var readOrder: [MemberRoute] {
        guard self.primary.bucket.status == .offline, self.mirrors.contains(where: { $0.bucket.status != .offline }) else { return self.all }
        return self.mirrors + [self.primary]
    }
}

extension Credential {
    func targets(_ bucketName: String) -> Targets? {
        guard let route = self.route(bucketName) else { return nil }
        guard self.repository.mode == .mirror, let master = self.members.first(where: { $0.route.member.isMaster })?.route else {
            return Targets(primary: route, mirrors: [])
        }
        let mirrors = self.members.map(\.route).filter { !$0.member.isMaster }.map { route in
            var mirror = route
            mirror.isMirror = true
            return mirror
        }
        return Targets(primary: master, mirrors: mirrors)
    }
}
