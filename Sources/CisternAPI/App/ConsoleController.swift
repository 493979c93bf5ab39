import CisternConsole
import CisternCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/console/`: the web console's files (CisternConsole, compiled into the binary). Public, like
/// any sign-in page: what it shows comes from the API, which checks every call.
///
/// Every answer carries a strict Content-Security-Policy (scripts and styles from this origin
/// only, nothing inline, no framing), and files revalidate by ETag, so a new version reaches
/// browsers at once and an unchanged one costs a 304.
struct ConsoleController {
    static let policy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

    /// Each file as served: its bytes, type and entity tag, computed once.
    struct Served: Sendable {
        let body: ByteBuffer
        let contentType: String
        let etag: String
    }

    static let files: [String: Served] = ConsoleFiles.all.mapValues { file in
        let digest = HexDigit.lowercase(SHA256.hash(data: file.bytes).prefix(12))
        return Served(body: ByteBuffer(bytes: file.bytes), contentType: file.contentType, etag: "\"\(digest)\"")
    }

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        // Hummingbird matches "/console" and "/console/" alike; the page links its files by
        // absolute paths, so either address works.
        router.get("/console") { request, _ in Self.serve("index.html", request) }
        router.get("/console/{file}") { request, context in Self.serve(context.parameters.get("file") ?? "", request) }
    }

    static func serve(_ name: String, _ request: Request) -> Response {
        var headers: HTTPFields = [
            .contentSecurityPolicy: Self.policy, .xContentTypeOptions: "nosniff", .referrerPolicy: "no-referrer",
            .xFrameOptions: "DENY", .cacheControl: "no-cache",
        ]
        guard let file = Self.files[name] else {
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(status: .notFound, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "Not found\n")))
        }
        headers[.eTag] = file.etag
        if request.headers[values: .ifNoneMatch].contains(where: {
            $0.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == file.etag }
        }) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = file.contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: file.body))
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}
