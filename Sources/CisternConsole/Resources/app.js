// The console's shell: who is signed in, the navigation, and which page the address shows.
import * as api from "./api.js";
import { h, replace } from "./dom.js";
import { mayManageOrganization, parseRoute } from "./logic.js";
import { registerPage, signInPage } from "./pages-auth.js";
import { addBucketPage, bucketPage, bucketsPage } from "./pages-buckets.js";
import { overviewPage } from "./pages-overview.js";
import { sessionsPage, usersPage, workspacePage, workspacesPage } from "./pages-people.js";
import { addRepositoryPage, repositoriesPage, repositoryPage } from "./pages-repositories.js";

const pages = {
    overview: overviewPage,
    buckets: bucketsPage,
    bucket: bucketPage,
    "add-bucket": addBucketPage,
    repositories: repositoriesPage,
    repository: repositoryPage,
    "add-repository": addRepositoryPage,
    workspaces: workspacesPage,
    workspace: workspacePage,
    users: usersPage,
    sessions: sessionsPage,
};

const main = document.getElementById("main");
const navigation = document.getElementById("navigation");
const status = document.getElementById("status");
let context = null;
let about = null;

/** `GET /`: the server's name and version, whether registration is open, the gateway's port.
 * Asked once per page load: none of it changes while the page is open. */
async function service() {
    about ??= await fetch("/", { headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : {}))
        .catch(() => ({}));
    return about;
}

/** Says `message` in the status line (read out by screen readers). */
function notify(message, kind = "info") {
    status.className = `status status-${kind}`;
    status.textContent = message;
}

/** What every page gets: who is signed in, their workspaces, and ways to move on. */
async function load() {
    const [profile, workspaces, about] = await Promise.all([api.call("GET", "/user/profile"), api.call("GET", "/workspace"), service()]);
    context = {
        about,
        profile: profile.data,
        workspaces: workspaces.workspaces,
        workspace: (id) => workspaces.workspaces.find((workspace) => workspace.id === id) ?? null,
        navigate: (hash) => {
            if (location.hash === hash) show();
            else location.hash = hash;
        },
        notify,
        reload: async () => {
            await load();
            await show();
        },
    };
}

function navigationLinks() {
    const links = [
        ["#/overview", "Overview"],
        ["#/buckets", "Buckets"],
        ["#/repositories", "Repositories"],
        ["#/workspaces", "Workspaces"],
    ];
    if (mayManageOrganization(context.profile)) links.push(["#/users", "Users"]);
    links.push(["#/sessions", "Sessions"]);
    const current = `#/${location.hash.replace(/^#\/?/, "").split("/")[0] || "overview"}`;
    return h(
        "nav",
        { "aria-label": "Console" },
        h("ul", {}, links.map(([href, text]) => h("li", {}, h("a", { href, "aria-current": href === current ? "page" : false }, text)))),
        h(
            "div",
            { class: "who" },
            h("span", {}, `${context.profile.name} ${context.profile.lastName}`, h("span", { class: "role" }, ` · ${context.profile.orgRoleDescription}`)),
            h("button", { type: "button", class: "secondary", id: "sign-out", onclick: signOut }, "Sign out"),
        ),
    );
}

async function signOut() {
    await api.signOut().catch(() => {});
    context = null;
    notify("Signed out.");
    location.hash = "#/sign-in";
}

async function signedIn() {
    await load();
    location.hash = "#/overview";
    await show();
}

/** Renders the page the address names. */
async function show() {
    const route = parseRoute(location.hash);
    if (!api.isSignedIn()) {
        replace(navigation);
        const page = route.page === "register" ? registerPage : signInPage;
        replace(main, await page({ about: await service(), notify, signedIn }));
        focusHeading();
        return;
    }
    if (!context) await load();
    replace(navigation, navigationLinks());
    const page = pages[route.page];
    if (!page) {
        replace(main, h("h1", { tabindex: "-1" }, "Page not found"), h("p", {}, h("a", { href: "#/overview" }, "Back to the overview")));
        focusHeading();
        return;
    }
    replace(main, h("p", { class: "loading" }, "Loading…"));
    try {
        replace(main, await page({ ...context, route }));
    } catch (error) {
        replace(main, h("h1", { tabindex: "-1" }, "Something went wrong"), h("p", { role: "alert" }, error.message));
    }
    focusHeading();
}

/** Moves focus to the page's heading, so a keyboard or screen reader starts there. */
function focusHeading() {
    const heading = main.querySelector("h1");
    if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: false });
        document.title = `${heading.textContent} · Cistern`;
    }
}

api.whenSignedOut(() => {
    context = null;
    notify("Your session has ended. Please sign in again.", "error");
    location.hash = "#/sign-in";
});

window.addEventListener("hashchange", () => show());
(async () => {
    if (await api.resume()) {
        try {
            await load();
        } catch {
            context = null;
        }
    }
    if (api.isSignedIn() && ["sign-in", "register"].includes(parseRoute(location.hash).page)) location.hash = "#/overview";
    await show();
})();

