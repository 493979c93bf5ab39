// Building the page. Data from the API reaches it only as text nodes and attribute values, never
// as markup: no string is ever parsed as HTML here (ConsoleTests holds every script to that).

/** An element: `h("button", { type: "button", onclick }, "Save")`. Attributes starting with `on`
 * are listeners; `true` sets a boolean attribute, `false`/`null`/`undefined` leaves it out.
 * Children are nodes, strings (as text), or arrays of them. */
export function h(tag, attributes = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes ?? {})) {
        if (value === false || value === null || value === undefined) continue;
        if (name.startsWith("on") && typeof value === "function") {
            element.addEventListener(name.slice(2), value);
        } else {
            element.setAttribute(name, value === true ? "" : String(value));
        }
    }
    append(element, children);
    return element;
}

/** An SVG element, attributes as for `h`. */
export function svg(tag, attributes = {}, ...children) {
    const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
    append(element, children);
    return element;
}

function append(element, children) {
    for (const child of children.flat(Infinity)) {
        if (child === null || child === undefined || child === false) continue;
        element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
}

/** Replaces everything inside `element`. */
export function replace(element, ...children) {
    element.replaceChildren();
    append(element, children);
}

/** A labelled form field. `options` makes a select of [value, text] pairs. */
export function field({ name, label, type = "text", value = "", required = false, options, multiline = false, autocomplete, hint }) {
    const id = `field-${name}-${Math.random().toString(36).slice(2, 8)}`;
    const hintId = hint ? `${id}-hint` : null;
    const verdictId = `${id}-verdict`;
    let control;
    const common = { id, name, required, "aria-describedby": [hintId, verdictId].filter(Boolean).join(" ") };
    if (options) {
        control = h("select", common, options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === value }, text)));
    } else if (multiline) {
        control = h("textarea", { ...common, rows: 4, spellcheck: "false" });
        control.value = value;
    } else {
        control = h("input", { ...common, type, autocomplete: autocomplete ?? (type === "password" ? "new-password" : null) });
        control.value = value;
    }
    return h(
        "div",
        { class: "field" },
        h("label", { for: id }, label, required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null),
        control,
        hint ? h("p", { class: "hint", id: hintId }, hint) : null,
        h("p", { class: "verdict", id: verdictId, "aria-live": "polite" }),
    );
}

/** Shows `message` under the field named `name` in `form` (or clears it). */
export function setVerdict(form, name, message) {
    const control = form.elements.namedItem(name);
    if (!control) return false;
    const verdict = control.parentElement.querySelector(".verdict");
    verdict.textContent = message ?? "";
    if (message) control.setAttribute("aria-invalid", "true");
    else control.removeAttribute("aria-invalid");
    return true;
}

/** A table with a caption and column headers; `rows` are arrays of cells (nodes or text). */
export function table(caption, headers, rows, empty = "Nothing here yet.") {
    if (rows.length === 0) return h("p", { class: "empty" }, empty);
    return h(
        "div",
        { class: "table-wrap", role: "region", "aria-label": caption, tabindex: "0" },
        h(
            "table",
            {},
            h("caption", {}, caption),
            h("thead", {}, h("tr", {}, headers.map((header) => h("th", { scope: "col" }, header)))),
            h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell, index) => (index === 0 ? h("th", { scope: "row" }, cell) : h("td", {}, cell)))))),
        ),
    );
}

/** A status badge: the word itself, coloured, never colour alone. */
export function badge(status) {
    const word = status ?? "UNKNOWN";
    return h("span", { class: `badge badge-${word.toLowerCase()}` }, word);
}

/** The values of a form's named controls. */
export function values(form) {
    return Object.fromEntries(new FormData(form).entries());
}
