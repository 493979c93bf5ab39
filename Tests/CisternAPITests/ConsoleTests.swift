import CisternConsole
import Foundation
import HTTPTypes
import Testing

/// The web console's files as `cistern serve` ships them (the browser end to end is
/// scripts/console-e2e; the page logic is node --test Tests/console).
@Suite("Web console files")
struct ConsoleTests {
    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/CisternConsole/Resources")

    static func sources() throws -> [String: String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: self.resources.path)
        return try Dictionary(
            uniqueKeysWithValues: names.map { ($0, try String(contentsOf: self.resources.appendingPathComponent($0), encoding: .utf8)) })
    }

    @Test func everyFileOfTheDirectoryIsCompiledInAndServedAsWritten() throws {
        let sources = try Self.sources()
        #expect(Set(sources.keys) == Set(ConsoleFiles.all.keys), "Resources/ and ConsoleFiles.all (and Package.swift) list other files")
        for (name, text) in sources {
            #expect(ConsoleFiles.all[name].map { String(decoding: $0.bytes, as: UTF8.self) } == text, "\(name) differs from its source")
        }
    }

    /// Data reaches the page only as text: no API that parses markup or code from strings.
    @Test func noScriptBuildsMarkupOrCodeFromStrings() throws {
        for (name, text) in try Self.sources() where name.hasSuffix(".js") {
            for forbidden in [
                "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute(\"style\"",
                "localStorage.setItem",
            ] {
                #expect(!text.contains(forbidden), "\(name) uses \(forbidden)")
            }
        }
        let page = try #require(try Self.sources()["index.html"])
        #expect(!page.contains("<script>") && !page.contains("style=") && !page.contains(" onclick") && !page.contains("<style"))
        #expect(page.contains("<script type=\"module\" src=\"/console/app.js\"></script>"))
    }

    @Test func servedWithAStrictPolicyAndRevalidatedByETag() async throws {
        try await TestApp().run { api in
            for path in ["/console", "/console/", "/console/index.html"] {
                let page = try await api.request(.get, path)
                #expect(page.status == .ok, "\(path)")
                #expect(page.headers[.contentType] == "text/html; charset=utf-8")
                #expect(page.text.contains("<main id=\"main\""))
                let policy = try #require(page.headers[.contentSecurityPolicy])
                #expect(policy.contains("default-src 'self'") && policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))
                #expect(!policy.contains("unsafe"))
                #expect(page.headers[.xContentTypeOptions] == "nosniff")
            }
            let script = try await api.request(.get, "/console/app.js")
            #expect(script.status == .ok && script.headers[.contentType] == "text/javascript; charset=utf-8")
            let etag = try #require(script.headers[.eTag])
            let again = try await api.request(.get, "/console/app.js", headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified && again.text.isEmpty)
            let changed = try await api.request(.get, "/console/app.js", headers: [.ifNoneMatch: "\"other\""])
            #expect(changed.status == .ok)
            #expect(try await api.request(.get, "/console/console.css").headers[.contentType] == "text/css; charset=utf-8")
            for missing in ["/console/nothing.js", "/console/..%2Fopenapi.yaml", "/console/%00"] {
                let answer = try await api.request(.get, missing)
                #expect(answer.status == .notFound, "\(missing)")
                #expect(answer.headers[.contentSecurityPolicy] != nil)
            }
        }
    }
}
