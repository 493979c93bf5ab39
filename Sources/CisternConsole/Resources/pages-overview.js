// The overview: buckets by status, recent status changes, what the organization holds, and the
// server's own health.
import * as api from "./api.js";
import { badge, h, table } from "./dom.js";
import { ago, countByStatus } from "./logic.js";

/** Status changes of the most recently checked buckets, newest first. */
async function recentChanges(buckets) {
    const checked = buckets.filter((bucket) => bucket.lastStatusAt).sort((a, b) => Date.parse(b.lastStatusAt) - Date.parse(a.lastStatusAt)).slice(0, 20);
    const histories = await Promise.all(checked.map((bucket) => api.call("GET", `/bucket/${bucket.id}/status`).then((status) => [bucket, status.history]).catch(() => [bucket, []])));
    const changes = [];
    for (const [bucket, history] of histories) {
        const ordered = [...history].sort((a, b) => Date.parse(a.checkedAt) - Date.parse(b.checkedAt));
        for (let index = 1; index < ordered.length; index += 1) {
            if (ordered[index].status !== ordered[index - 1].status) changes.push({ bucket, from: ordered[index - 1].status, to: ordered[index].status, at: ordered[index].checkedAt });
        }
    }
    return changes.sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, 10);
}

export async function overviewPage({ about, workspaces }) {
    const [bucketList, repositoryList, health] = await Promise.all([
        api.call("GET", "/bucket"),
        api.call("GET", "/repo"),
        fetch("/health", { headers: { Accept: "application/json" } }).then(async (response) => ({ ok: response.ok, body: await response.json().catch(() => ({})) })).catch(() => ({ ok: false, body: {} })),
    ]);
    const buckets = bucketList.buckets;
    const repositories = repositoryList.repos;
    const counts = countByStatus(buckets);
    const keys = repositories.reduce((sum, repository) => sum + repository.apiKeys.length, 0);
    const changes = await recentChanges(buckets);
    return h(
        "section",
        {},
        h("h1", {}, "Overview"),
        h(
            "ul",
            { class: "tiles", "aria-label": "Buckets by status" },
            Object.entries(counts).map(([status, count]) => h("li", { class: "tile" }, h("span", { class: "figure" }, String(count)), badge(status === "UNKNOWN" ? null : status))),
        ),
        h(
            "dl",
            { class: "facts" },
            h("dt", {}, "Repositories"),
            h("dd", { id: "repository-count" }, String(repositories.length)),
            h("dt", {}, "Repository keys"),
            h("dd", { id: "key-count" }, String(keys)),
            h("dt", {}, "Workspaces"),
            h("dd", {}, String(workspaces.length)),
            h("dt", {}, "Server"),
            h("dd", {}, `${about.name ?? "cistern"} ${about.version ?? ""}`),
            h("dt", {}, "Database"),
            h("dd", {}, health.ok ? "healthy" : `unhealthy (${health.body.database ?? "no answer"})`),
        ),
        h("h2", {}, "Recent status changes"),
        table(
            "Recent status changes",
            ["Bucket", "From", "To", "When"],
            changes.map((change) => [h("a", { href: `#/buckets/${change.bucket.id}` }, change.bucket.name), badge(change.from), badge(change.to), ago(change.at)]),
            "No bucket has changed status recently.",
        ),
    );
}
