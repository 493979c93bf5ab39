// Workspaces and their members, the organization's users and roles, and the caller's sessions.
import { act } from "./actions.js";
import * as api from "./api.js";
import { field, h, setVerdict, table, values } from "./dom.js";
import { ago, may, mayManageOrganization, OrgRole, orgRoleNames } from "./logic.js";

const memberRoles = [["READ", "READ"], ["WRITE", "WRITE"], ["ADMIN", "ADMIN"]];

export async function workspacesPage(context) {
    const { profile, workspaces } = context;
    const form = mayManageOrganization(profile) ? h("form", { class: "card inline", novalidate: true, id: "create-workspace" }, field({ name: "name", label: "New workspace", required: true }), h("button", { type: "submit" }, "Create")) : null;
    form?.addEventListener("submit", async (event) => {
        event.preventDefault();
        const { name } = values(form);
        try {
            await api.call("POST", "/workspace", { name });
            context.notify(`Created ${name}.`);
            await context.reload();
        } catch (error) {
            setVerdict(form, "name", error.message);
        }
    });
    return h(
        "section",
        {},
        h("h1", {}, "Workspaces"),
        table(
            "Workspaces",
            ["Name", "Members", "Your role"],
            workspaces.map((workspace) => [
                h("a", { href: `#/workspaces/${workspace.id}` }, workspace.name + (workspace.default ? " (default)" : "")),
                String(workspace.users?.length ?? 0),
                may(profile, "administer", workspace) ? "ADMIN" : (workspace.users ?? []).find((member) => member.userId === profile.id)?.role ?? "—",
            ]),
        ),
        form,
    );
}

export async function workspacePage(context) {
    const { profile, route, workspace: find, navigate } = context;
    const workspace = find(route.id);
    if (!workspace) return h("section", {}, h("h1", {}, "Workspace not found"));
    const administer = may(profile, "administer", workspace);
    const users = administer && mayManageOrganization(profile) ? (await api.call("GET", "/organization/users")).data : [];
    const outsiders = users.filter((user) => !(workspace.users ?? []).some((member) => member.userId === user.id));
    const rename = administer ? h("form", { class: "card inline", novalidate: true }, field({ name: "name", label: "Name", value: workspace.name, required: true }), h("button", { type: "submit" }, "Rename")) : null;
    rename?.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
            await api.call("PUT", `/workspace/${workspace.id}`, values(rename));
            context.notify("Renamed.");
            await context.reload();
        } catch (error) {
            setVerdict(rename, "name", error.message);
        }
    });
    const add = administer && outsiders.length > 0
        ? h(
              "form",
              { class: "card inline", novalidate: true, id: "add-member" },
              field({ name: "userId", label: "Add member", options: outsiders.map((user) => [user.id, `${user.name} ${user.lastName} <${user.email}>`]) }),
              field({ name: "role", label: "Role", options: memberRoles }),
              h("button", { type: "submit" }, "Add"),
          )
        : null;
    add?.addEventListener("submit", (event) => {
        event.preventDefault();
        act(context, () => api.call("POST", `/workspace/${workspace.id}/users`, values(add)), "Member added.")();
    });
    const roleSelect = (member) => {
        const select = h("select", { "aria-label": `Role of ${member.user.email}` }, memberRoles.map(([value, text]) => h("option", { value, selected: value === member.role }, text)));
        select.addEventListener("change", act(context, () => api.call("PUT", `/workspace/${workspace.id}/users/${member.userId}`, { role: select.value }), "Role changed."));
        return select;
    };
    const remove = act(context, () => api.call("DELETE", `/workspace/${workspace.id}`), "Workspace deleted.", {
        confirmation: `Delete the workspace ${workspace.name}?`,
        after: async () => {
            await context.reload();
            navigate("#/workspaces");
        },
    });
    return h(
        "section",
        {},
        h("h1", {}, workspace.name),
        rename,
        h("h2", {}, "Members"),
        table(
            "Members",
            administer ? ["Member", "E-mail", "Role", "Remove"] : ["Member", "E-mail", "Role"],
            (workspace.users ?? []).map((member) => [
                `${member.user.name} ${member.user.lastName}`,
                member.user.email,
                administer ? roleSelect(member) : member.role,
                ...(administer ? [h("button", { type: "button", class: "danger small", "aria-label": `Remove ${member.user.email}`, onclick: act(context, () => api.call("DELETE", `/workspace/${workspace.id}/users/${member.userId}`), "Member removed.") }, "Remove")] : []),
            ]),
        ),
        add,
        administer && !workspace.default ? h("div", { class: "actions" }, h("button", { type: "button", class: "danger", onclick: remove }, "Delete workspace")) : null,
    );
}

export async function usersPage(context) {
    const { profile } = context;
    if (!mayManageOrganization(profile)) return h("section", {}, h("h1", {}, "Users"), h("p", {}, "Only organization administrators manage users."));
    const { data: users } = await api.call("GET", "/organization/users");
    const grantable = Object.entries(orgRoleNames).filter(([level]) => Number(level) <= profile.orgRole);
    const roleSelect = (user) => {
        if (user.id === profile.id) return user.orgRoleDescription;
        const select = h("select", { "aria-label": `Role of ${user.email}` }, grantable.map(([level, name]) => h("option", { value: level, selected: Number(level) === user.orgRole }, name)));
        select.addEventListener("change", act(context, () => api.call("PUT", `/user/${user.id}/role`, { orgRole: Number(select.value) }), "Role changed."));
        return select;
    };
    const form = h(
        "form",
        { class: "card", novalidate: true, id: "create-user" },
        h("h2", {}, "New user"),
        field({ name: "firstName", label: "First name", required: true }),
        field({ name: "lastName", label: "Last name", required: true }),
        field({ name: "email", label: "E-mail", type: "email", required: true }),
        field({ name: "password", label: "Initial password", type: "password", required: true }),
        field({ name: "orgRole", label: "Role", value: String(OrgRole.USER), options: grantable }),
        h("button", { type: "submit" }, "Create user"),
    );
    form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const entered = values(form);
        try {
            await api.call("POST", "/organization/users", { ...entered, orgRole: Number(entered.orgRole) });
            context.notify(`Created ${entered.email}.`);
            await context.reload();
        } catch (error) {
            const named = ["email", "password", "firstName", "lastName"].find((name) => error.message.startsWith(`${name}:`)) ?? "email";
            setVerdict(form, named, error.message);
        }
    });
    return h(
        "section",
        {},
        h("h1", {}, "Users"),
        table(
            "Users",
            ["Name", "E-mail", "Role", "Remove"],
            users.map((user) => [
                `${user.name} ${user.lastName}`,
                user.email,
                roleSelect(user),
                user.id === profile.id ? "—" : h("button", { type: "button", class: "danger small", "aria-label": `Remove ${user.email}`, onclick: act(context, () => api.call("DELETE", `/organization/users/${user.id}`), "User removed.", { confirmation: `Remove ${user.email} from the organization?` }) }, "Remove"),
            ]),
        ),
        form,
    );
}

export async function sessionsPage(context) {
    const { tokens } = await api.call("GET", "/token");
    return h(
        "section",
        {},
        h("h1", {}, "Sessions"),
        h("p", {}, "Where you are signed in. Revoking a session signs that device out at once."),
        table(
            "Sessions",
            ["Device", "Signed in", "Last used", "Expires", "Revoke"],
            tokens.map((token) => [
                token.userAgent ?? "unknown device",
                ago(token.createdAt),
                ago(token.lastUsedAt),
                new Date(token.expiresAt).toLocaleDateString(),
                h("button", { type: "button", class: "danger small", "aria-label": `Revoke the session of ${token.userAgent ?? "an unknown device"}`, onclick: act(context, () => api.call("DELETE", `/token/${token.id}`), "Session revoked.", { confirmation: "Sign that device out?" }) }, "Revoke"),
            ]),
        ),
    );
}
