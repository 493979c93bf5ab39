// Buckets: the list with its filters, one bucket's detail (status history, check now, edit with a
// write-only secret, delete), and adding one with the provider's verdict beside the field.
import { act } from "./actions.js";
import * as api from "./api.js";
import { badge, field, h, replace, setVerdict, svg, table, values } from "./dom.js";
import { ago, fieldOfVerdict, filterBuckets, historyChart, may, providerFields, providers } from "./logic.js";

const statuses = ["ONLINE", "DISCONNECTED", "OFFLINE", "UNKNOWN"];

function place(bucket) {
    return [bucket.endpoint, bucket.region].filter(Boolean).join(" · ") || "provider default";
}

function latency(bucket) {
    return bucket.latency_ms === null || bucket.latency_ms === undefined ? "—" : `${bucket.latency_ms} ms`;
}

export async function bucketsPage({ profile, workspaces, workspace }) {
    const { buckets } = await api.call("GET", "/bucket");
    const workspaceName = (id) => workspace(id)?.name ?? "—";
    const filters = h(
        "form",
        { class: "filters", role: "search", "aria-label": "Filter buckets" },
        field({ name: "workspaceId", label: "Workspace", options: [["", "All workspaces"], ...workspaces.map((entry) => [entry.id, entry.name])] }),
        field({ name: "status", label: "Status", options: [["", "Any status"], ...statuses.map((status) => [status, status])] }),
        field({ name: "provider", label: "Provider", options: [["", "Any provider"], ...Object.entries(providers)] }),
        field({ name: "text", label: "Search", type: "search" }),
    );
    const results = h("div", { id: "bucket-results", "aria-live": "polite" });
    const render = () => {
        const shown = filterBuckets(buckets, values(filters));
        replace(
            results,
            h("p", { class: "count" }, `${shown.length} of ${buckets.length} buckets`),
            table(
                "Buckets",
                ["Name", "Provider", "Bucket", "Endpoint / region", "Workspace", "Status", "Latency", "Last check", "Repositories"],
                shown.map((bucket) => [
                    h("a", { href: `#/buckets/${bucket.id}` }, bucket.name),
                    providers[bucket.storageType] ?? bucket.storageType,
                    bucket.bucket,
                    place(bucket),
                    workspaceName(bucket.workspaceId),
                    badge(bucket.status),
                    latency(bucket),
                    ago(bucket.lastStatusAt),
                    bucket.repos.length === 0 ? "—" : bucket.repos.map((repository) => repository.name).join(", "),
                ]),
                "No bucket matches.",
            ),
        );
    };
    filters.addEventListener("input", render);
    filters.addEventListener("change", render);
    filters.addEventListener("submit", (event) => event.preventDefault());
    render();
    const mayAdd = workspaces.some((entry) => may(profile, "change", entry));
    return h(
        "section",
        {},
        h("div", { class: "heading" }, h("h1", {}, "Buckets"), mayAdd ? h("a", { class: "button", href: "#/buckets/new" }, "Add bucket") : null),
        filters,
        results,
    );
}

/** The status history drawn as a line of latency, each check a dot coloured and titled by status. */
function historyFigure(history) {
    const { path, points } = historyChart(history, 320, 80);
    if (points.length === 0) return h("p", { class: "empty" }, "Not checked yet.");
    const checks = `${points.length} check${points.length === 1 ? "" : "s"}`;
    const summary = `${checks}, ${points.filter((point) => point.status === "ONLINE").length} online`;
    return h(
        "figure",
        { class: "history" },
        svg(
            "svg",
            { viewBox: "-4 -4 328 88", width: "328", height: "88", role: "img", "aria-label": `Status history: ${summary}` },
            svg("path", { d: path, class: "history-line", fill: "none" }),
            points.map((point) => svg("circle", { cx: point.x, cy: point.y, r: 3, class: `dot dot-${point.status.toLowerCase()}` }, svg("title", {}, point.status))),
        ),
        h("figcaption", {}, `Latency of the last ${checks}, oldest on the left (${summary}).`),
    );
}

export async function bucketPage({ profile, route, workspace, workspaces, navigate, notify, reload }) {
    const [{ buckets }, status] = await Promise.all([api.call("GET", "/bucket"), api.call("GET", `/bucket/${route.id}/status`)]);
    const bucket = buckets.find((entry) => entry.id === route.id);
    if (!bucket) return h("section", {}, h("h1", {}, "Bucket not found"), h("p", {}, h("a", { href: "#/buckets" }, "All buckets")));
    const home = workspace(bucket.workspaceId);
    const mayChange = may(profile, "change", home);
    const checkResult = h("p", { class: "verdict", "aria-live": "polite", id: "check-result" });
    const check = async () => {
        checkResult.textContent = "Checking…";
        try {
            const result = await api.call("POST", `/bucket/${bucket.id}/validate`);
            checkResult.textContent = `${result.status} in ${result.latency_ms} ms${result.message ? `: ${result.message}` : ""}`;
            await reload();
        } catch (error) {
            checkResult.textContent = error.message;
        }
    };
    const remove = act({ notify, reload }, () => api.call("DELETE", `/bucket/${bucket.id}`), `Deleted ${bucket.name}.`, {
        confirmation: `Delete the bucket ${bucket.name}? Cistern forgets it; the data stays at the provider.`,
        after: () => navigate("#/buckets"),
    });
    const editor = mayChange ? editForm(bucket, workspaces.filter((entry) => may(profile, "change", entry)), { notify, reload }) : null;
    return h(
        "section",
        {},
        h("h1", {}, bucket.name),
        h(
            "dl",
            { class: "facts" },
            h("dt", {}, "Status"),
            h("dd", {}, badge(status.status), " ", status.latency_ms === null ? "" : `${status.latency_ms} ms`, ` · checked ${ago(status.lastStatusAt)}`),
            h("dt", {}, "Provider"),
            h("dd", {}, providers[bucket.storageType] ?? bucket.storageType),
            h("dt", {}, "Bucket"),
            h("dd", {}, bucket.bucket),
            h("dt", {}, "Endpoint / region"),
            h("dd", {}, place(bucket)),
            h("dt", {}, "Access key"),
            h("dd", {}, bucket.key),
            h("dt", {}, "Workspace"),
            h("dd", {}, home?.name ?? "—"),
            h("dt", {}, "Repositories"),
            h("dd", {}, bucket.repos.length === 0 ? "none" : bucket.repos.map((repository) => h("a", { href: `#/repositories/${repository.id}` }, repository.name))),
        ),
        h("h2", {}, "Status history"),
        historyFigure(status.history),
        h("div", { class: "actions" }, h("button", { type: "button", id: "check-now", onclick: check }, "Check now"), mayChange ? h("button", { type: "button", class: "danger", onclick: remove }, "Delete bucket") : null),
        checkResult,
        editor ? [h("h2", {}, "Edit"), editor] : null,
    );
}

function editForm(bucket, workspaces, { notify, reload }) {
    const fields = providerFields(bucket.storageType === "AZURE" ? "BLOB" : bucket.storageType);
    const form = h(
        "form",
        { class: "card", novalidate: true, id: "edit-bucket" },
        field({ name: "name", label: "Name", value: bucket.name, required: true }),
        field({ name: "workspaceId", label: "Workspace", value: bucket.workspaceId, options: workspaces.map((entry) => [entry.id, entry.name]) }),
        fields.map((entry) =>
            entry.secret
                ? field({ ...entry, required: false, value: "", type: "password", hint: "Write-only: leave empty to keep the stored secret. It is never shown." })
                : field({ ...entry, value: bucket[entry.name] ?? "" }),
        ),
        h("button", { type: "submit" }, "Save changes"),
    );
    form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const entered = values(form);
        for (const name of Object.keys(entered)) setVerdict(form, name, null);
        const changes = {};
        for (const [name, value] of Object.entries(entered)) {
            if (name === "secret" ? value !== "" : value !== (bucket[name] ?? "")) changes[name] = value;
        }
        if (Object.keys(changes).length === 0) return notify("Nothing to save.");
        try {
            const result = await api.call("PUT", `/bucket/${bucket.id}`, changes);
            notify(`Saved. Status ${result.status ?? "unchanged"}.`);
            await reload();
        } catch (error) {
            setVerdict(form, fieldOfVerdict(error.message) ?? "name", error.message);
        }
    });
    return form;
}

export async function addBucketPage({ profile, workspaces, navigate, notify }) {
    const writable = workspaces.filter((entry) => may(profile, "change", entry));
    if (writable.length === 0) return h("section", {}, h("h1", {}, "Add bucket"), h("p", {}, "You may not add buckets to any workspace."));
    const providerFieldset = h("fieldset", { class: "provider-fields" });
    const form = h(
        "form",
        { class: "card", novalidate: true, id: "add-bucket" },
        field({ name: "name", label: "Name in Cistern", required: true }),
        field({ name: "workspaceId", label: "Workspace", options: writable.map((entry) => [entry.id, entry.name]) }),
        field({ name: "storageType", label: "Provider", value: "S3", options: Object.entries(providers) }),
        providerFieldset,
        h("button", { type: "submit" }, "Check and add"),
    );
    const showProviderFields = () => {
        const provider = form.elements.namedItem("storageType").value;
        replace(providerFieldset, h("legend", {}, `${providers[provider]} settings`), providerFields(provider).map((entry) => field({ ...entry, type: entry.secret && !entry.multiline ? "password" : "text" })));
    };
    form.elements.namedItem("storageType").addEventListener("change", showProviderFields);
    showProviderFields();
    form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const entered = values(form);
        for (const name of Object.keys(entered)) setVerdict(form, name, null);
        const missing = providerFields(entered.storageType).filter((entry) => entry.required && !entered[entry.name]).concat(entered.name ? [] : [{ name: "name" }]);
        for (const entry of missing) setVerdict(form, entry.name, "Required.");
        if (missing.length > 0) return form.elements.namedItem(missing[0].name).focus();
        const body = Object.fromEntries(Object.entries(entered).filter(([, value]) => value !== ""));
        try {
            const created = await api.call("POST", "/bucket", body);
            notify(`Added ${entered.name}.`);
            navigate(`#/buckets/${created.bucketId}`);
        } catch (error) {
            const target = fieldOfVerdict(error.message) ?? (error.message.includes(":") ? error.message.split(":")[0] : "name");
            if (!setVerdict(form, target, error.message)) setVerdict(form, "name", error.message);
            form.querySelector("[aria-invalid=true]")?.focus();
        }
    });
    return h("section", {}, h("h1", {}, "Add bucket"), h("p", {}, "Cistern checks the credentials at the provider before it keeps them; the secret is sealed and never shown again."), form);
}
