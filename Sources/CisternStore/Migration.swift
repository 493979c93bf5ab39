/// One step of the schema. Steps are applied in `version` order and never edited once released:
/// a change to the schema is a new step.
///
/// The statements are written once for every engine: ids are `TEXT` (lowercase UUIDs), instants are
/// `BIGINT` milliseconds since 1970, flags are `BOOLEAN`; SQLite and PostgreSQL read all three alike.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

extension Migration {
    /// Every step of the schema, in order.
    public static let all: [Migration] = [
        Migration(
            version: 1,
            name: "accounts",
            statements: [
                """
                CREATE TABLE organizations (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    deleted_at BIGINT
                )
                """,
                """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY,
                    org_id TEXT NOT NULL REFERENCES organizations (id),
                    email TEXT NOT NULL,
                    email_key TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    first_name TEXT NOT NULL,
                    last_name TEXT NOT NULL,
                    org_role INTEGER NOT NULL,
                    validated BOOLEAN NOT NULL DEFAULT TRUE,
                    active BOOLEAN NOT NULL DEFAULT TRUE,
                    created_at BIGINT NOT NULL,
                    deleted_at BIGINT
                )
                """,
                // One live account per e-mail address, whatever its case.
                "CREATE UNIQUE INDEX users_email_live ON users (email_key) WHERE deleted_at IS NULL",
                "CREATE INDEX users_org ON users (org_id)",
                """
                CREATE TABLE workspaces (
                    id TEXT PRIMARY KEY,
                    org_id TEXT NOT NULL REFERENCES organizations (id),
                    name TEXT NOT NULL,
                    name_key TEXT NOT NULL,
                    is_default BOOLEAN NOT NULL DEFAULT FALSE,
                    created_at BIGINT NOT NULL,
                    deleted_at BIGINT
                )
                """,
                // Workspace names are unique among an organization's live workspaces, whatever their case.
                "CREATE UNIQUE INDEX workspaces_name_live ON workspaces (org_id, name_key) WHERE deleted_at IS NULL",
                """
                CREATE TABLE workspace_members (
                    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
                    user_id TEXT NOT NULL REFERENCES users (id),
                    role TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (workspace_id, user_id)
                )
                """,
                "CREATE INDEX workspace_members_user ON workspace_members (user_id)",
                """
                CREATE TABLE sessions (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users (id),
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    last_used_at BIGINT,
                    user_agent TEXT,
                    revoked_at BIGINT
                )
                """,
                "CREATE INDEX sessions_user ON sessions (user_id)",
                // Every refresh token ever issued, by hash. A spent one presented again revokes its session.
                """
                CREATE TABLE refresh_tokens (
                    token_hash TEXT PRIMARY KEY,
                    session_id TEXT NOT NULL REFERENCES sessions (id),
                    issued_at BIGINT NOT NULL,
                    spent_at BIGINT
                )
                """,
                "CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)",
            ]
        ),
        Migration(
            version: 2,
            name: "buckets",
            statements: [
                // The secret is stored only sealed (AES-256-GCM, see SecretSealer), one column per part.
                // `mirror_repository_id` and `normal_claims` record which repositories use the bucket;
                // the CHECK makes "a MIRROR repository owns its buckets exclusively" a rule of the
                // database itself, and the conditional updates that claim a bucket make it race-proof.
                """
                CREATE TABLE buckets (
                    id TEXT PRIMARY KEY,
                    org_id TEXT NOT NULL REFERENCES organizations (id),
                    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
                    name TEXT NOT NULL,
                    name_key TEXT NOT NULL,
                    bucket TEXT NOT NULL,
                    storage_type TEXT NOT NULL,
                    access_key TEXT NOT NULL,
                    secret_key_version TEXT NOT NULL,
                    secret_iv TEXT NOT NULL,
                    secret_auth_tag TEXT NOT NULL,
                    secret_message TEXT NOT NULL,
                    endpoint TEXT,
                    region TEXT,
                    status TEXT,
                    latency_ms INTEGER,
                    last_status_at BIGINT,
                    mirror_repository_id TEXT,
                    normal_claims INTEGER NOT NULL DEFAULT 0,
                    created_at BIGINT NOT NULL,
                    deleted_at BIGINT,
                    CHECK (normal_claims >= 0),
                    CHECK (mirror_repository_id IS NULL OR normal_claims = 0)
                )
                """,
                "CREATE UNIQUE INDEX buckets_name_live ON buckets (org_id, name_key) WHERE deleted_at IS NULL",
                "CREATE INDEX buckets_live_by_org ON buckets (org_id, created_at, id) WHERE deleted_at IS NULL",
                "CREATE INDEX buckets_live_by_workspace ON buckets (workspace_id, created_at, id) WHERE deleted_at IS NULL",
                // Exactly the rows of GET /bucket/available, in its order: its cost follows what it returns.
                """
                CREATE INDEX buckets_available_by_org ON buckets (org_id, created_at, id)
                WHERE deleted_at IS NULL AND mirror_repository_id IS NULL
                """,
                """
                CREATE INDEX buckets_available_by_workspace ON buckets (workspace_id, created_at, id)
                WHERE deleted_at IS NULL AND mirror_repository_id IS NULL
                """,
                """
                CREATE TABLE bucket_checks (
                    bucket_id TEXT NOT NULL REFERENCES buckets (id),
                    checked_at BIGINT NOT NULL,
                    status TEXT NOT NULL,
                    latency_ms INTEGER NOT NULL,
                    reason TEXT NOT NULL
                )
                """,
                "CREATE INDEX bucket_checks_recent ON bucket_checks (bucket_id, checked_at)",
            ]
        ),
        Migration(
            version: 3,
            name: "repositories",
            statements: [
                """
                CREATE TABLE repositories (
                    id TEXT PRIMARY KEY,
                    org_id TEXT NOT NULL REFERENCES organizations (id),
                    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
                    name TEXT NOT NULL,
                    name_key TEXT NOT NULL,
                    storage_type TEXT NOT NULL,
                    mode TEXT NOT NULL,
                    disabled BOOLEAN NOT NULL DEFAULT FALSE,
                    created_at BIGINT NOT NULL,
                    deleted_at BIGINT
                )
                """,
                "CREATE UNIQUE INDEX repositories_name_live ON repositories (org_id, name_key) WHERE deleted_at IS NULL",
                "CREATE INDEX repositories_live_by_org ON repositories (org_id, created_at, id) WHERE deleted_at IS NULL",
                "CREATE INDEX repositories_live_by_workspace ON repositories (workspace_id) WHERE deleted_at IS NULL",
                // A member row is live until `released_at`; a live (bucket, folder) belongs to one repository.
                """
                CREATE TABLE repository_buckets (
                    repository_id TEXT NOT NULL REFERENCES repositories (id),
                    bucket_id TEXT NOT NULL REFERENCES buckets (id),
                    folder TEXT NOT NULL,
                    is_master BOOLEAN NOT NULL DEFAULT FALSE,
                    position INTEGER NOT NULL,
                    added_at BIGINT NOT NULL,
                    released_at BIGINT
                )
                """,
                "CREATE UNIQUE INDEX repository_buckets_live ON repository_buckets (bucket_id, folder) WHERE released_at IS NULL",
                "CREATE INDEX repository_buckets_by_repository ON repository_buckets (repository_id) WHERE released_at IS NULL",
                """
                CREATE TABLE repository_keys (
                    id TEXT PRIMARY KEY,
                    repository_id TEXT NOT NULL REFERENCES repositories (id),
                    name TEXT NOT NULL,
                    access_type TEXT NOT NULL,
                    access_key TEXT NOT NULL,
                    secret_key_version TEXT NOT NULL,
                    secret_iv TEXT NOT NULL,
                    secret_auth_tag TEXT NOT NULL,
                    secret_message TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    revoked_at BIGINT
                )
                """,
                "CREATE UNIQUE INDEX repository_keys_access_key ON repository_keys (access_key)",
                "CREATE INDEX repository_keys_by_repository ON repository_keys (repository_id) WHERE revoked_at IS NULL",
            ]
        ),
        Migration(
            version: 4,
            name: "bucket monitor schedule",
            statements: [
                // When the monitor should next check a bucket; NULL means now. A monitor claims a due
                // bucket by moving this forward in its transaction, so only one process checks it.
                "ALTER TABLE buckets ADD COLUMN next_check_at BIGINT",
                "CREATE INDEX buckets_check_due ON buckets (next_check_at) WHERE deleted_at IS NULL",
            ]
        ),
        Migration(
            version: 5,
            name: "health heartbeats",
            statements: [
                // `GET /health` writes its process's row, so a database that cannot take a write
                // (a full disk, a damaged file, a read-only mount) is reported, not just one that
                // answers `SELECT 1`.
                """
                CREATE TABLE health_heartbeats (
                    instance TEXT PRIMARY KEY,
                    checked_at BIGINT NOT NULL
                )
                """
            ]
        ),
        Migration(
            version: 6,
            name: "mirror replication",
            statements: [
                // One row per (repository, mirror, key) that a write made uneven; a repairer claims
                // a due row by setting `lease_until` in its transaction, so one process works on it.
                """
                CREATE TABLE replication_items (
                    id TEXT PRIMARY KEY,
                    repository_id TEXT NOT NULL REFERENCES repositories (id),
                    bucket_id TEXT NOT NULL REFERENCES buckets (id),
                    object_key TEXT NOT NULL,
                    operation TEXT NOT NULL,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    generation INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at BIGINT NOT NULL,
                    lease_until BIGINT,
                    updated_at BIGINT NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX replication_items_key ON replication_items (repository_id, bucket_id, object_key)",
                "CREATE INDEX replication_items_due ON replication_items (next_attempt_at) WHERE state = 'PENDING'",
                "CREATE INDEX replication_items_by_state ON replication_items (repository_id, state, updated_at)",
                "CREATE INDEX replication_items_by_key ON replication_items (repository_id, object_key)",
                // Listings of a master that queue its objects for a new mirror, resumable from `marker`.
                """
                CREATE TABLE replication_backfills (
                    id TEXT PRIMARY KEY,
                    repository_id TEXT NOT NULL REFERENCES repositories (id),
                    bucket_id TEXT NOT NULL REFERENCES buckets (id),
                    marker TEXT NOT NULL DEFAULT '',
                    listed INTEGER NOT NULL DEFAULT 0,
                    done BOOLEAN NOT NULL DEFAULT FALSE,
                    next_attempt_at BIGINT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                // A client's multipart upload on a MIRROR repository: the master's upload id (the
                // one the client sees) and each mirror's.
                """
                CREATE TABLE mirror_uploads (
                    upload_id TEXT NOT NULL,
                    repository_id TEXT NOT NULL REFERENCES repositories (id),
                    object_key TEXT NOT NULL,
                    bucket_id TEXT NOT NULL REFERENCES buckets (id),
                    member_upload_id TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (repository_id, upload_id, bucket_id)
                )
                """,
            ]
        ),
        Migration(
            version: 7,
            name: "traffic",
            statements: [
                // What each serving process counted per repository, bucket and minute; minutes older
                // than a week are rolled into days. No foreign keys: figures outlive what they count.
                trafficTable("traffic_minutes"),
                trafficTable("traffic_days"),
                "CREATE INDEX traffic_minutes_by_bucket ON traffic_minutes (bucket_id)",
                "CREATE INDEX traffic_minutes_by_repository ON traffic_minutes (repository_id)",
                "CREATE INDEX traffic_days_by_bucket ON traffic_days (bucket_id)",
                "CREATE INDEX traffic_days_by_repository ON traffic_days (repository_id)",
            ]
        ),
        Migration(
            version: 8,
            name: "change feed",
            statements: [
                // One counter that every change a cache may hold moves (ChangeFeed), and each
                // serving process's last seen value of it, so a writer knows when all have seen it.
                "CREATE TABLE change_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), value BIGINT NOT NULL)",
                "INSERT INTO change_epoch (id, value) VALUES (1, 0)",
                "CREATE TABLE cache_nodes (id TEXT PRIMARY KEY, epoch BIGINT NOT NULL, seen_at BIGINT NOT NULL)",
            ]
        ),
        Migration(
            version: 9,
            name: "audit log",
            statements: [
                // One row per change or refused request (`AuditEvent`). No foreign keys: the log
                // outlives what it names. `details` is a JSON object of short strings.
                """
                CREATE TABLE audit_events (
                    id TEXT PRIMARY KEY,
                    at BIGINT NOT NULL,
                    org_id TEXT,
                    actor_id TEXT,
                    actor_email TEXT,
                    action TEXT NOT NULL,
                    target TEXT,
                    outcome TEXT NOT NULL,
                    status INTEGER,
                    client_address TEXT NOT NULL,
                    user_agent TEXT NOT NULL,
                    details TEXT NOT NULL
                )
                """,
                "CREATE INDEX audit_events_by_org ON audit_events (org_id, at)",
                "CREATE INDEX audit_events_by_actor ON audit_events (actor_id, at)",
            ]
        ),
    ]

    /// The columns both traffic periods keep (step 7): one row per period, repository, bucket and host.
    static func trafficTable(_ name: String) -> String {
        """
        CREATE TABLE \(name) (
            period_start BIGINT NOT NULL,
            repository_id TEXT NOT NULL,
            bucket_id TEXT NOT NULL,
            host TEXT NOT NULL,
            requests BIGINT NOT NULL,
            upload_bytes BIGINT NOT NULL,
            download_bytes BIGINT NOT NULL,
            size_change BIGINT NOT NULL,
            latency_ms BIGINT NOT NULL,
            PRIMARY KEY (period_start, repository_id, bucket_id, host)
        )
        """
    }
}
