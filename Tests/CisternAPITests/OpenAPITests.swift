import CisternBootstrap
import CisternCore
import CisternProviders
import CisternStore
import Foundation
import Logging
import Testing

@testable import CisternAPI

/// `openapi.yaml` describes exactly the routes the server has.
@Suite("OpenAPI document")
struct OpenAPITests {
    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsARoute() async throws {
        let app = TestApp()
        let served = try await app.run { api in
            let response = try await api.request(.get, "/openapi.yaml")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/yaml; charset=utf-8")
            return response.text
        }
        #expect(served.hasPrefix("openapi: 3.1"))
        let documented = Self.operations(in: served)
        #expect(documented.count > 30)
        let routes = try await Self.routes(app.configuration)
        #expect(routes.subtracting(documented).sorted() == [], "routes without a documented operation")
        #expect(documented.subtracting(routes).sorted() == [], "documented operations without a route")
    }

    @Test func everyOperationHasAnIdAndEveryAuthenticatedOneDocuments401() async throws {
        let document = try await TestApp().run { api in try await api.request(.get, "/openapi.yaml").text }
        let unauthenticated: Set<String> = [
            "GET /", "GET /health", "HEAD /health", "GET /health/live", "GET /health/ready", "GET /metrics", "GET /openapi.yaml",
            "GET /console", "GET /console/{file}",
            "POST /user/register",
            "POST /user/login", "POST /user/refresh",
        ]
        for (operation, block) in Self.operationBlocks(in: document) {
            #expect(block.contains("operationId:"), "\(operation) has no operationId")
            if unauthenticated.contains(operation) {
                #expect(block.contains("security: []"), "\(operation) is public")
            } else {
                #expect(block.contains("\"401\":"), "\(operation) does not document 401")
            }
        }
    }

    /// `METHOD /path` of every operation under `paths:` (two-space paths, four-space methods).
    static func operations(in document: String) -> Set<String> {
        Set(self.operationBlocks(in: document).map(\.operation))
    }

    static func operationBlocks(in document: String) -> [(operation: String, block: String)] {
        var result: [(String, String)] = []
        var path: String?
        var inPaths = false
        for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            if inPaths, let first = line.first, first != " " { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "),
                let method = ["get", "head", "put", "post", "delete", "patch"].first(where: { line == "    \($0):" })
            {
                result.append(("\(method.uppercased()) \(path)", ""))
            } else if !result.isEmpty, line.hasPrefix("      ") {
                result[result.count - 1].1 += line + "\n"
            }
        }
        return result
    }

    /// `METHOD /path` of every route the application's router holds.
    static func routes(_ configuration: CisternConfiguration) async throws -> Set<String> {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-routes-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = configuration
        configuration.dataDirectory = directory
        configuration.databaseURL = nil
        let runtime = try await Runtime.open(configuration, timeSource: ManualTimeSource(), logger: Logger(label: "test"))
        do {
            let router = try await buildRouter(runtime)
            await runtime.close()
            return Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        } catch {
            await runtime.close()
            throw error
        }
    }
}
