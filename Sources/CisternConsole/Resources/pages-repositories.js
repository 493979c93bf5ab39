// Repositories: the list, one repository with its members, keys and replication, and building a
// new one from the available buckets with a dry run before it is saved.
import { act } from "./actions.js";
import * as api from "./api.js";
import { badge, field, h, replace, setVerdict, table, values } from "./dom.js";
import { clientSettings, gatewayURL, issuableAccess, may, repositoryRequest, workspaceRole } from "./logic.js";

export async function repositoriesPage({ profile, workspaces, workspace }) {
    const { repos } = await api.call("GET", "/repo");
    const mayAdd = workspaces.some((entry) => may(profile, "change", entry));
    return h(
        "section",
        {},
        h("div", { class: "heading" }, h("h1", {}, "Repositories"), mayAdd ? h("a", { class: "button", href: "#/repositories/new" }, "New repository") : null),
        table(
            "Repositories",
            ["Name", "Mode", "Members", "Workspace", "Keys", "Created"],
            repos.map((repository) => [
                h("a", { href: `#/repositories/${repository.id}` }, repository.name),
                repository.mode,
                repository.buckets.map((member) => `${member.bucket?.name ?? member.bucketId}${member.master ? " (master)" : ""}${member.folder ? ` /${member.folder}` : ""}`).join(", "),
                workspace(repository.workspaceId)?.name ?? "—",
                String(repository.apiKeys.length),
                new Date(repository.createdAt).toLocaleDateString(),
            ]),
            "No repository yet.",
        ),
    );
}

/** The secret of a new key, shown this once, with settings ready to paste. */
function secretOnce(created, name, gatewayPort) {
    const gateway = gatewayURL(location, gatewayPort ?? 9000);
    const settings = clientSettings({ key: created.key, secret: created.secret, gateway, name });
    const block = (title, text, id) => h("div", { class: "snippet" }, h("h3", {}, title), h("pre", { id, tabindex: "0" }, h("code", {}, text)));
    return h(
        "div",
        { class: "card secret-once", role: "alert", id: "new-key" },
        h("h2", {}, "Your new key"),
        h("p", {}, "This is the only time the secret is shown. Copy it now."),
        h("dl", { class: "facts" }, h("dt", {}, "Access key"), h("dd", { id: "new-key-id" }, created.key), h("dt", {}, "Secret key"), h("dd", { id: "new-key-secret" }, created.secret)),
        block("aws cli", settings.awsCli, "settings-aws"),
        block("boto3", settings.boto3, "settings-boto3"),
        block("rclone.conf", settings.rclone, "settings-rclone"),
    );
}

export async function repositoryPage({ about, profile, route, workspace, navigate, notify, reload }) {
    const { repos } = await api.call("GET", `/repo?repoId=${encodeURIComponent(route.id)}`);
    const repository = repos.find((entry) => entry.id === route.id);
    if (!repository) return h("section", {}, h("h1", {}, "Repository not found"), h("p", {}, h("a", { href: "#/repositories" }, "All repositories")));
    const home = workspace(repository.workspaceId);
    const role = workspaceRole(profile, home);
    const mayChange = may(profile, "change", home);
    const replication = repository.mode === "MIRROR" ? await api.call("GET", `/repo/${repository.id}/replication`).catch(() => null) : null;
    const keyArea = h("div", { id: "key-area" });
    const keyTable = h("div", { id: "keys" });
    const showKeys = (keys) =>
        replace(
            keyTable,
            table(
                "Keys",
                mayChange ? ["Name", "Access", "Access key", "Created", "Revoke"] : ["Name", "Access", "Access key", "Created"],
                keys.map((key) => [
                    key.name,
                    key.accessType,
                    key.key,
                    new Date(key.createdAt).toLocaleDateString(),
                    ...(mayChange ? [h("button", { type: "button", class: "danger small", onclick: revoke(key), "aria-label": `Revoke ${key.name}` }, "Revoke")] : []),
                ]),
                "No key yet.",
            ),
        );

    const revoke = (key) =>
        act({ notify, reload }, () => api.call("DELETE", `/repo/${repository.id}/apikey/${key.id}`), `Revoked ${key.name}.`, {
            confirmation: `Revoke the key ${key.name}? Clients using it are refused at once.`,
        });
    const keyForm = mayChange
        ? h(
              "form",
              { class: "card inline", novalidate: true, id: "create-key" },
              field({ name: "name", label: "Key name", required: true }),
              field({ name: "accessType", label: "Access", options: issuableAccess(role).map((access) => [access, access]) }),
              h("button", { type: "submit" }, "Create key"),
          )
        : null;
    keyForm?.addEventListener("submit", async (event) => {
        event.preventDefault();
        const { name, accessType } = values(keyForm);
        setVerdict(keyForm, "name", null);
        if (!name) return setVerdict(keyForm, "name", "Required.");
        try {
            const created = await api.call("POST", `/repo/${repository.id}/apikey`, { name, accessType });
            replace(keyArea, secretOnce(created, name, about.gatewayPort));
            keyForm.reset();
            showKeys((await api.call("GET", `/repo/${repository.id}/apikey`)).keys);
            keyArea.querySelector("h2").setAttribute("tabindex", "-1");
            keyArea.querySelector("h2").focus();
        } catch (error) {
            setVerdict(keyForm, "name", error.message);
        }
    });
    const remove = act({ notify, reload }, () => api.call("DELETE", `/repo/${repository.id}`), `Deleted ${repository.name}.`, {
        confirmation: `Delete the repository ${repository.name}? Its keys stop working; the data stays in the buckets.`,
        after: () => navigate("#/repositories"),
    });
    showKeys(repository.apiKeys);
    return h(
        "section",
        {},
        h("h1", {}, repository.name),
        h("dl", { class: "facts" }, h("dt", {}, "Mode"), h("dd", {}, repository.mode), h("dt", {}, "Workspace"), h("dd", {}, home?.name ?? "—"), h("dt", {}, "API"), h("dd", {}, repository.storageType)),
        h("h2", {}, "Members"),
        table(
            "Members",
            ["Bucket", "Role", "Folder", "Status"],
            repository.buckets.map((member) => [
                member.bucket ? h("a", { href: `#/buckets/${member.bucketId}` }, member.bucket.name) : member.bucketId,
                repository.mode === "MIRROR" ? (member.master ? "master" : "mirror") : "member",
                member.folder ? `/${member.folder}` : "—",
                badge(member.bucket?.status),
            ]),
        ),
        replication
            ? [
                  h("h2", {}, "Replication"),
                  h("p", { id: "replication" }, `${replication.pending ?? 0} pending, ${replication.failed ?? 0} failed, ${replication.completedLastDay ?? 0} completed in the last day.`),
              ]
            : null,
        h("h2", {}, "Keys"),
        keyTable,
        keyForm,
        keyArea,
        mayChange ? h("div", { class: "actions" }, h("button", { type: "button", class: "danger", onclick: remove }, "Delete repository")) : null,
    );
}

export async function addRepositoryPage({ profile, workspaces, navigate, notify }) {
    const writable = workspaces.filter((entry) => may(profile, "change", entry));
    if (writable.length === 0) return h("section", {}, h("h1", {}, "New repository"), h("p", {}, "You may not create repositories in any workspace."));
    const available = await api.call("GET", "/bucket/available");
    const memberList = h("fieldset", { class: "members", id: "members" });
    const verdict = h("p", { class: "verdict", role: "alert", id: "repository-verdict" });
    const form = h(
        "form",
        { class: "card", novalidate: true, id: "add-repository" },
        field({ name: "name", label: "Name", required: true }),
        field({ name: "workspaceId", label: "Workspace", options: writable.map((entry) => [entry.id, entry.name]) }),
        field({ name: "mode", label: "Mode", value: "NORMAL", options: [["NORMAL", "NORMAL: folders of shared buckets"], ["MIRROR", "MIRROR: one master and its mirrors, owned exclusively"]] }),
        memberList,
        verdict,
        h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", id: "dry-run" }, "Check"), h("button", { type: "submit" }, "Create repository")),
    );
    const showMembers = () => {
        const mode = form.elements.namedItem("mode").value;
        replace(
            memberList,
            h("legend", {}, mode === "MIRROR" ? "Buckets: tick each member and choose the master" : "Buckets: tick each member and name its folder"),
            available.length === 0
                ? h("p", { class: "empty" }, "No bucket is available. Add one first.")
                : available.map((bucket) => {
                      const id = `member-${bucket.id}`;
                      return h(
                          "div",
                          { class: "member" },
                          h("input", { type: "checkbox", id, name: "member", value: bucket.id }),
                          h("label", { for: id }, `${bucket.name} (${bucket.bucket}) `, badge(bucket.status)),
                          mode === "MIRROR"
                              ? h("span", {}, h("input", { type: "radio", name: "master", value: bucket.id, id: `${id}-master`, "aria-label": `${bucket.name} is the master` }), h("label", { for: `${id}-master` }, "master"))
                              : h("input", { type: "text", name: `folder-${bucket.id}`, "aria-label": `Folder in ${bucket.name}`, placeholder: "folder" }),
                      );
                  }),
        );
    };
    form.elements.namedItem("mode").addEventListener("change", showMembers);
    showMembers();
    const request = () => {
        const entered = values(form);
        const members = [...form.querySelectorAll("input[name=member]:checked")].map((box) => ({ bucketId: box.value, folder: entered[`folder-${box.value}`] ?? "" }));
        const masterId = form.querySelector("input[name=master]:checked")?.value;
        return repositoryRequest({ name: entered.name, workspaceId: entered.workspaceId, mode: entered.mode, members, masterId });
    };
    const explain = (error) => {
        verdict.textContent = error.message;
        if (error.body?.error_code === "NAME_ALREADY_USED") setVerdict(form, "name", error.message);
    };
    form.querySelector("#dry-run").addEventListener("click", async () => {
        verdict.textContent = "";
        try {
            await api.call("POST", "/repo/validate", request());
            verdict.textContent = "This repository can be created.";
        } catch (error) {
            explain(error);
        }
    });
    form.addEventListener("submit", async (event) => {
        event.preventDefault();
        verdict.textContent = "";
        setVerdict(form, "name", null);
        const body = request();
        if (!body.name) return setVerdict(form, "name", "Required.");
        try {
            await api.call("POST", "/repo/validate", body);
            const created = await api.call("POST", "/repo", body);
            notify(`Created ${body.name}.`);
            navigate(`#/repositories/${created.repoId}`);
        } catch (error) {
            explain(error);
        }
    });
    return h("section", {}, h("h1", {}, "New repository"), form);
}
