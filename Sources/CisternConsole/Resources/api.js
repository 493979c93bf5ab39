// The management API, as the console calls it: the access token in memory only, the refresh
// token in sessionStorage (gone with the tab), renewed a minute before the access token expires.
import { errorSentence, refreshDelay } from "./logic.js";

const refreshKey = "cistern.refreshToken";
let accessToken = null;
let renewal = null;
let onSignedOut = () => {};

/** An error the API answered with: `status`, the body, and a sentence for people. */
export class APIError extends Error {
    constructor(status, body) {
        super(errorSentence(body, status));
        this.status = status;
        this.body = body;
    }
}

/** Called when the session ends by itself (its refresh token is refused). */
export function whenSignedOut(handler) {
    onSignedOut = handler;
}

export function isSignedIn() {
    return accessToken !== null;
}

async function send(method, path, body, token) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
        response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit" });
    } catch {
        throw new APIError(0, null);
    }
    const text = await response.text();
    let json = null;
    try {
        json = text ? JSON.parse(text) : null;
    } catch {
        json = null;
    }
    if (!response.ok) throw new APIError(response.status, json);
    return json;
}

/** Calls the API with the session's token; one refused token is renewed once and retried. */
export async function call(method, path, body) {
    try {
        return await send(method, path, body, accessToken);
    } catch (error) {
        if (error.status !== 401 || !sessionStorage.getItem(refreshKey) || path.startsWith("/user/")) throw error;
        await renew();
        return send(method, path, body, accessToken);
    }
}

function keep(session) {
    accessToken = session.accessToken;
    sessionStorage.setItem(refreshKey, session.refreshToken);
    clearTimeout(renewal);
    renewal = setTimeout(() => renew().catch(() => {}), refreshDelay(session.expiresAt));
}

function forget() {
    accessToken = null;
    clearTimeout(renewal);
    sessionStorage.removeItem(refreshKey);
}

/** Trades the refresh token for a new pair; a refused one ends the session. */
export async function renew() {
    const refreshToken = sessionStorage.getItem(refreshKey);
    if (!refreshToken) throw new APIError(401, { message: "Not signed in" });
    try {
        keep(await send("POST", "/user/refresh", { refreshToken }));
    } catch (error) {
        if (error.status === 401) {
            forget();
            onSignedOut();
        }
        throw error;
    }
}

/** Resumes the tab's session after a reload, if it has one. */
export async function resume() {
    if (!sessionStorage.getItem(refreshKey)) return false;
    try {
        await renew();
        return true;
    } catch {
        return false;
    }
}

export async function signIn(email, password) {
    keep(await send("POST", "/user/login", { email, password, deviceInfo: { userAgent: `Cistern console (${navigator.userAgent})` } }));
}

export async function register(fields) {
    keep(await send("POST", "/user/register", fields));
}

/** Ends the session at the server (its refresh token and access tokens stop working), then here. */
export async function signOut() {
    const refreshToken = sessionStorage.getItem(refreshKey);
    try {
        if (accessToken) await send("POST", "/user/logout", refreshToken ? { refreshToken } : {}, accessToken);
    } finally {
        forget();
    }
}
