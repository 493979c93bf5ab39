// What the console decides without a browser: permissions, wording, filters, schedules and the
// settings it prints for S3 clients. Plain functions over the API's JSON, tested with `node --test`.

/** Organization roles, as the API numbers them. */
export const OrgRole = Object.freeze({ USER: 0, BILLING: 1, WORKSPACES: 2, ADMINISTRATORS: 254, OWNER: 255 });

export const orgRoleNames = Object.freeze({ 0: "User", 1: "Billing", 2: "Workspaces", 254: "Administrators", 255: "Owner" });

const workspaceRank = Object.freeze({ READ: 1, WRITE: 2, ADMIN: 3 });

/** Global access (WORKSPACES and above) acts as ADMIN in every workspace of the organization. */
export function hasGlobalAccess(profile) {
    return (profile?.orgRole ?? 0) >= OrgRole.WORKSPACES;
}

/** The role `profile` acts with in `workspace` (an entry of GET /workspace), or null. */
export function workspaceRole(profile, workspace) {
    if (!profile || !workspace) return null;
    if (hasGlobalAccess(profile)) return "ADMIN";
    const member = (workspace.users ?? []).find((entry) => entry.userId === profile.id);
    return member ? member.role : null;
}

/** Whether `profile` may do `action` in `workspace`: `view`, `change` (buckets, repositories,
 * keys) or `administer` (rename, delete, members). Mirrors the server's AccessPolicy: the
 * console only leaves out what the server would refuse. */
export function may(profile, action, workspace) {
    const role = workspaceRole(profile, workspace);
    if (!role) return false;
    const needed = { view: "READ", change: "WRITE", administer: "ADMIN" }[action];
    if (!needed) throw new Error(`unknown action ${action}`);
    return workspaceRank[role] >= workspaceRank[needed];
}

/** Organization-wide actions: creating workspaces, managing users, reading the audit log. */
export function mayManageOrganization(profile) {
    return hasGlobalAccess(profile);
}

/** The key access levels someone acting as `role` may issue (never more than they may do). */
export function issuableAccess(role) {
    return ["READ", "WRITE", "ADMIN"].filter((access) => workspaceRank[access] <= (workspaceRank[role] ?? 0));
}

/** Repository error codes (docs/contract.md §5) as sentences a person can act on. */
const repositorySentences = Object.freeze({
    NOT_FOUND: "This repository no longer exists.",
    NAME_ALREADY_USED: "Another repository in this workspace already has that name.",
    MIRROR_MASTER_UNIT_MISSING: "A MIRROR repository needs one bucket marked as its master.",
    MIRROR_MASTER_UNIT_COUNT_INVALID: "A MIRROR repository has exactly one master bucket.",
    MIRROR_UNIT_ALREADY_IN_OTHER_REPO:
        "One of these buckets already belongs to another repository; a MIRROR repository needs buckets of its own.",
    NORMAL_UNIT_FOLDER_ALREADY_USED: "That folder of the bucket is already used by another repository.",
    NORMAL_UNIT_CANNOT_EDIT_FOLDER: "A member's folder cannot be changed once the repository holds it.",
    NORMAL_UNIT_FOLDER_CANNOT_DELETE: "A member bucket cannot be removed while its folder holds the repository's data.",
    QUOTA_EXCEEDED: "Your organization has reached its repository limit.",
});

/** The sentence for an API error body: a repository code's sentence, else the API's own message. */
export function errorSentence(body, status) {
    const code = body?.error_code;
    if (code && repositorySentences[code]) return repositorySentences[code];
    const message = body?.error_message ?? body?.message;
    if (message) return message;
    if (status === 0) return "The server cannot be reached.";
    return `The server answered ${status}.`;
}

export const repositoryErrorCodes = Object.freeze(Object.keys(repositorySentences));

/** Buckets by status, in the order the overview shows them: ONLINE, DISCONNECTED (the provider
 * refused the credentials or the bucket), OFFLINE (no answer), UNKNOWN (not checked yet). */
export function countByStatus(buckets) {
    const counts = { ONLINE: 0, DISCONNECTED: 0, OFFLINE: 0, UNKNOWN: 0 };
    for (const bucket of buckets) {
        const status = bucket.status && bucket.status in counts ? bucket.status : "UNKNOWN";
        counts[status] += 1;
    }
    return counts;
}

/** The buckets that pass the filters (each absent or empty filter passes everything). */
export function filterBuckets(buckets, { workspaceId, status, provider, text } = {}) {
    const needle = (text ?? "").trim().toLowerCase();
    return buckets.filter(
        (bucket) =>
            (!workspaceId || bucket.workspaceId === workspaceId) &&
            (!status || (bucket.status ?? "UNKNOWN") === status) &&
            (!provider || bucket.storageType === provider) &&
            (!needle || `${bucket.name} ${bucket.bucket} ${bucket.endpoint ?? ""}`.toLowerCase().includes(needle)),
    );
}

export const providers = Object.freeze({ S3: "S3 or S3-compatible", GCS: "Google Cloud Storage", BLOB: "Azure Blob" });

/** The fields the add-bucket form asks for, per provider (docs/contract.md §4). */
export function providerFields(storageType) {
    switch (storageType) {
        case "S3":
            return [
                { name: "bucket", label: "Bucket name", required: true },
                { name: "key", label: "Access key ID", required: true },
                { name: "secret", label: "Secret access key", required: true, secret: true },
                { name: "endpoint", label: "Endpoint (empty for AWS)", required: false },
                { name: "region", label: "Region", required: false },
            ];
        case "GCS":
            return [
                { name: "bucket", label: "Bucket name", required: true },
                { name: "key", label: "Service account e-mail or HMAC access ID", required: true },
                { name: "secret", label: "Private key (PEM) or HMAC secret", required: true, secret: true, multiline: true },
                { name: "endpoint", label: "Endpoint (empty for Google)", required: false },
            ];
        case "BLOB":
            return [
                { name: "bucket", label: "Container name", required: true },
                { name: "key", label: "Storage account name", required: true },
                { name: "secret", label: "Account key", required: true, secret: true },
                { name: "endpoint", label: "Endpoint (empty for Azure)", required: false },
            ];
        default:
            throw new Error(`unknown provider ${storageType}`);
    }
}

/** Which form field a provider's verdict concerns, so the console can show it there: the
 * credentials, the bucket, or the endpoint; null when it names none of them. */
export function fieldOfVerdict(message) {
    const text = (message ?? "").toLowerCase();
    if (/(access key|secret|signature|credential|forbidden|denied|unauthori[sz]ed|account key|private key|service account)/.test(text)) return "secret";
    if (/(no such bucket|bucket .*not (found|exist)|container .*not (found|exist)|nosuchbucket|containernotfound)/.test(text)) return "bucket";
    if (/(endpoint|resolve|connect|refused|timed out|timeout|unreachable|tls|certificate)/.test(text)) return "endpoint";
    return null;
}

/** A request body for POST /repo (or its dry run) from the form's choices. */
export function repositoryRequest({ name, workspaceId, mode, storageType, members, masterId }) {
    const repoBuckets = members.map(({ bucketId, folder }) => {
        const member = { bucketId };
        if (mode === "NORMAL") member.folder = folder ?? "";
        if (mode === "MIRROR") member.master = bucketId === masterId;
        return member;
    });
    return { name, workspaceId, mode, storageType: storageType ?? "S3", repoBuckets };
}

/** When to renew an access token that expires at `expiresAt` (seconds since 1970), in
 * milliseconds from `now`: a minute before, or half-way for short lifetimes; never negative. */
export function refreshDelay(expiresAt, now = Date.now()) {
    const remaining = expiresAt * 1000 - now;
    return Math.max(0, remaining > 120_000 ? remaining - 60_000 : remaining / 2);
}

/** The S3 gateway's address as seen from this page: the same host, the gateway's port. */
export function gatewayURL(location, port = 9000) {
    return `${location.protocol}//${location.hostname}:${port}`;
}

/** Ready-to-paste settings for a repository key: the aws cli, boto3 and rclone. */
export function clientSettings({ key, secret, gateway, name }) {
    const profile = (name || "cistern").replace(/[^A-Za-z0-9_-]/g, "-");
    return {
        awsCli: [
            `aws configure set aws_access_key_id ${key} --profile ${profile}`,
            `aws configure set aws_secret_access_key ${secret} --profile ${profile}`,
            `aws configure set endpoint_url ${gateway} --profile ${profile}`,
            `aws s3 ls --profile ${profile}`,
        ].join("\n"),
        boto3: [
            "import boto3",
            "",
            "s3 = boto3.client(",
            '    "s3",',
            `    endpoint_url="${gateway}",`,
            `    aws_access_key_id="${key}",`,
            `    aws_secret_access_key="${secret}",`,
            ")",
            "print(s3.list_buckets())",
        ].join("\n"),
        rclone: [
            `[${profile}]`,
            "type = s3",
            "provider = Other",
            `access_key_id = ${key}`,
            `secret_access_key = ${secret}`,
            `endpoint = ${gateway}`,
            "force_path_style = true",
        ].join("\n"),
    };
}

/** The status history as a step chart: one point per check, oldest left, latency upwards,
 * offline checks on the floor. Returns the SVG path and the points, in a `width` x `height` box. */
export function historyChart(history, width = 320, height = 80) {
    const checks = [...history].sort((a, b) => Date.parse(a.checkedAt) - Date.parse(b.checkedAt));
    if (checks.length === 0) return { path: "", points: [] };
    const latencies = checks.map((check) => (check.status === "OFFLINE" ? 0 : check.latency_ms ?? 0));
    const top = Math.max(1, ...latencies);
    const step = checks.length === 1 ? 0 : width / (checks.length - 1);
    const points = checks.map((check, index) => ({
        x: Math.round(index * step * 10) / 10,
        y: Math.round((height - (latencies[index] / top) * (height - 4)) * 10) / 10,
        status: check.status ?? "UNKNOWN",
    }));
    const path = points.map((point, index) => `${index === 0 ? "M" : "L"}${point.x} ${point.y}`).join(" ");
    return { path, points };
}

/** "3 minutes ago" for an ISO 8601 instant, relative to `now`. */
export function ago(instant, now = Date.now()) {
    if (!instant) return "never";
    const seconds = Math.round((now - Date.parse(instant)) / 1000);
    if (seconds < 60) return "just now";
    const units = [
        [86_400, "day"],
        [3_600, "hour"],
        [60, "minute"],
    ];
    for (const [size, unit] of units) {
        if (seconds >= size) {
            const count = Math.floor(seconds / size);
            return `${count} ${unit}${count === 1 ? "" : "s"} ago`;
        }
    }
    return "just now";
}

/** The console's routes: `#/buckets/ID` → { page: "bucket", id: "ID" }. */
export function parseRoute(hash) {
    const parts = (hash ?? "").replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
    const [first, second] = parts;
    switch (first) {
        case undefined:
        case "":
        case "overview":
            return { page: "overview" };
        case "buckets":
            if (second === "new") return { page: "add-bucket" };
            return second ? { page: "bucket", id: second } : { page: "buckets" };
        case "repositories":
            if (second === "new") return { page: "add-repository" };
            return second ? { page: "repository", id: second } : { page: "repositories" };
        case "workspaces":
            return second ? { page: "workspace", id: second } : { page: "workspaces" };
        case "users":
        case "sessions":
        case "audit":
        case "sign-in":
        case "register":
            return { page: first };
        default:
            return { page: "not-found" };
    }
}
