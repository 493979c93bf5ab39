/// The web console's files, compiled into the binary (`.embedInCode` in Package.swift), so
/// `cistern serve` serves them from wherever it runs, installed or not. Every file of
/// `Resources/` is listed here once (a test holds the list to the directory).
public enum ConsoleFiles {
    public struct File: Sendable {
        public let bytes: [UInt8]
        public let contentType: String
    }

    /// By file name, as the console's pages link them (`/console/app.js`).
    public static let all: [String: File] = [
        "index.html": File(bytes: PackageResources.index_html, contentType: "text/html; charset=utf-8"),
        "console.css": File(bytes: PackageResources.console_css, contentType: "text/css; charset=utf-8"),
        "app.js": File(bytes: PackageResources.app_js, contentType: "text/javascript; charset=utf-8"),
        "actions.js": File(bytes: PackageResources.actions_js, contentType: "text/javascript; charset=utf-8"),
        "api.js": File(bytes: PackageResources.api_js, contentType: "text/javascript; charset=utf-8"),
        "dom.js": File(bytes: PackageResources.dom_js, contentType: "text/javascript; charset=utf-8"),
        "logic.js": File(bytes: PackageResources.logic_js, contentType: "text/javascript; charset=utf-8"),
        "pages-auth.js": File(bytes: PackageResources.pages_auth_js, contentType: "text/javascript; charset=utf-8"),
        "pages-overview.js": File(bytes: PackageResources.pages_overview_js, contentType: "text/javascript; charset=utf-8"),
        "pages-buckets.js": File(bytes: PackageResources.pages_buckets_js, contentType: "text/javascript; charset=utf-8"),
        "pages-repositories.js": File(bytes: PackageResources.pages_repositories_js, contentType: "text/javascript; charset=utf-8"),
        "pages-people.js": File(bytes: PackageResources.pages_people_js, contentType: "text/javascript; charset=utf-8"),
    ]
}
