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
        )
    ]
}
