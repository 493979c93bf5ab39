import Crypto
import Foundation
import Hummingbird
import NIOCore

/// Conditional GETs for polled lists (RFC 9110 §8.8.3, §13.1.2).
///
/// The tag is a hash of the exact bytes the caller would receive, so it changes exactly when
/// something the caller can see changes (a bucket, a claim, a status, a membership that widens or
/// narrows their view) and never otherwise; no write path has to remember to invalidate it, and
/// replicas on one database agree on it. A match answers 304 without a body.
enum EntityTag {
    /// A `200` with `json`, or a bodiless `304` when `request` already holds it.
    static func response(_ json: TaggedJSON, for request: Request) -> Response {
        var headers: HTTPFields = [.eTag: json.tag, .cacheControl: "private, no-cache"]
        if Self.matches(json.tag, request.headers[values: .ifNoneMatch]) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: json.body))
    }

    /// A strong tag: the first 128 bits of the body's SHA-256, base64url.
    static func tag(of body: ByteBuffer) -> String {
        let digest = body.withUnsafeReadableBytes { SHA256.hash(data: $0) }
        return "\"\(Data(digest.prefix(16)).base64URLEncodedString)\""
    }

    /// Whether any `If-None-Match` field value names `tag` (weak comparison, as §13.1.2 asks) or is `*`.
    static func matches(_ tag: String, _ fields: [String]) -> Bool {
        for field in fields {
            for candidate in field.split(separator: ",") {
                var value = candidate.trimmingCharacters(in: .whitespaces)
                if value == "*" { return true }
                if value.hasPrefix("W/") { value.removeFirst(2) }
                if value == tag { return true }
            }
        }
        return false
    }
}

/// A JSON body with its entity tag, computed once (a cached answer is served many times).
struct TaggedJSON: Sendable {
    var body: ByteBuffer
    var tag: String

    init(_ body: ByteBuffer) {
        self.body = body
        self.tag = EntityTag.tag(of: body)
    }
}
