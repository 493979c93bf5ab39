// Signing in, and registering an organization when the server lets anyone do so.
import * as api from "./api.js";
import { field, h, setVerdict, values } from "./dom.js";

export async function signInPage({ about, notify, signedIn }) {
    const form = h(
        "form",
        { class: "card narrow", novalidate: true },
        field({ name: "email", label: "E-mail", type: "email", required: true, autocomplete: "email" }),
        field({ name: "password", label: "Password", type: "password", required: true, autocomplete: "current-password" }),
        h("button", { type: "submit" }, "Sign in"),
    );
    form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const { email, password } = values(form);
        setVerdict(form, "password", null);
        try {
            await api.signIn(email, password);
            notify("Signed in.");
            await signedIn();
        } catch (error) {
            setVerdict(form, "password", error.message);
            form.elements.namedItem("password").focus();
        }
    });
    return h(
        "section",
        {},
        h("h1", {}, "Sign in to Cistern"),
        form,
        about.registration === "open" ? h("p", {}, "New here? ", h("a", { href: "#/register" }, "Register your organization")) : null,
    );
}

export async function registerPage({ about, notify, signedIn }) {
    if (about.registration !== "open") {
        return h("section", {}, h("h1", {}, "Registration is closed"), h("p", {}, "Ask an administrator of your organization for an account. ", h("a", { href: "#/sign-in" }, "Sign in")));
    }
    const form = h(
        "form",
        { class: "card narrow", novalidate: true },
        field({ name: "companyName", label: "Organization", required: true }),
        field({ name: "firstName", label: "First name", required: true, autocomplete: "given-name" }),
        field({ name: "lastName", label: "Last name", required: true, autocomplete: "family-name" }),
        field({ name: "email", label: "E-mail", type: "email", required: true, autocomplete: "email" }),
        field({ name: "password", label: "Password", type: "password", required: true, hint: "At least 8 characters, with a letter and a digit." }),
        h("button", { type: "submit" }, "Register"),
    );
    form.addEventListener("submit", async (event) => {
        event.preventDefault();
        for (const name of ["companyName", "firstName", "lastName", "email", "password"]) setVerdict(form, name, null);
        try {
            await api.register(values(form));
            notify("Your organization is registered.");
            await signedIn();
        } catch (error) {
            const named = ["email", "password", "firstName", "lastName", "companyName"].find((name) => error.message.startsWith(`${name}:`) || error.message.toLowerCase().includes(name.toLowerCase()));
            setVerdict(form, named ?? "password", error.message);
        }
    });
    return h("section", {}, h("h1", {}, "Register your organization"), form, h("p", {}, "Already registered? ", h("a", { href: "#/sign-in" }, "Sign in")));
}
