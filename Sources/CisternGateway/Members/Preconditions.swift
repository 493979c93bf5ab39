import AsyncHTTPClient
import CisternCore
import Foundation
import NIOHTTP1

/// S3's conditional reads (`If-Match`, `If-None-Match`, `If-Modified-Since`,
/// `If-Unmodified-Since`), evaluated against an object's ETag and modification time for the
/// providers whose own conditions are not S3's (GCS conditions on generations, Azure's ETags are
/// not the ones clients see). Precedence as S3 documents it: a matching `If-Match` overrides a
/// failing `If-Unmodified-Since`, a failing `If-None-Match` overrides a passing
/// `If-Modified-Since`.
enum Preconditions {
    /// Whether the read is answered `304 Not Modified`; throws `PreconditionFailed` (412) when
    /// it must not happen at all.
    static func notModified(_ conditions: [(String, String)], etag: String, lastModified: Date?) throws(S3Error) -> Bool {
        func value(_ name: String) -> String? { conditions.first { $0.0 == name }?.1 }
        let modified = lastModified.map { $0.timeIntervalSince1970.rounded(.down) }
        if let ifMatch = value("if-match") {
            guard Self.matches(ifMatch, etag) else { throw Self.failed }
        } else if let since = value("if-unmodified-since").flatMap(Self.httpDate), let modified, modified > since {
            throw Self.failed
        }
        if let ifNoneMatch = value("if-none-match") { return Self.matches(ifNoneMatch, etag) }
        if let since = value("if-modified-since").flatMap(Self.httpDate), let modified { return modified <= since }
        return false
    }

    /// Whether a condition's list of ETags (or `*`) names `etag`; quotes and `W/` are optional.
    static func matches(_ list: String, _ etag: String) -> Bool {
        func bare(_ tag: Substring) -> Substring {
            var tag = tag.trimmingCharacters(in: .whitespaces)[...]
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            return tag.hasPrefix("\"") && tag.hasSuffix("\"") && tag.count >= 2 ? tag.dropFirst().dropLast() : tag
        }
        let wanted = bare(etag[...])
        return list.split(separator: ",").contains { bare($0) == "*" || bare($0) == wanted }
    }

    /// `x-amz-copy-source-if-match` and the others as a read's conditions.
    static func readConditions(_ conditions: [(String, String)]) -> [(String, String)] {
        conditions.map { (name, value) in (name.replacingOccurrences(of: "x-amz-copy-source-", with: ""), value) }
    }

    /// A write's S3 conditions at a provider that pins versions its own way: whether the key must
    /// hold nothing (`If-None-Match: *`, the only form S3 takes on writes), and for `If-Match` the
    /// version whose S3 ETag it names, checked here (`current`: the key's ETag and version, nil when
    /// it holds nothing).
    static func write<Version>(
        _ conditions: [(String, String)], current: () async throws -> (etag: String, version: Version)?
    ) async throws -> (absent: Bool, version: Version?) {
        var absent = false
        if let ifNoneMatch = ObjectAttributes.value("if-none-match", in: conditions) {
            guard ifNoneMatch.trimmingCharacters(in: .whitespaces) == "*" else {
                throw S3Error("NotImplemented", "If-None-Match on writes takes only *", status: 501)
            }
            absent = true
        }
        guard let ifMatch = ObjectAttributes.value("if-match", in: conditions) else { return (absent, nil) }
        guard let current = try await current() else { throw S3Error.forStatus(404) }
        guard Preconditions.matches(ifMatch, current.etag) else { throw Preconditions.failed }
        return (absent, current.version)
    }

    static let invalidPart = S3Error(
        "InvalidPart", "One or more of the specified parts could not be found or its entity tag did not match.", status: 400)
    static let invalidPartOrder = S3Error(
        "InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.", status: 400)

    static let failed = S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", status: 412)

    /// Seconds since 1970 of an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
    static func httpDate(_ text: String) -> TimeInterval? {
        CivilDate.parseHTTPDate(text).map(TimeInterval.init)
    }
}

/// One version of an object as a provider describes it, in S3's terms.
struct DescribedObject<Version: Sendable>: Sendable {
    /// Its stored headers (ETag and Last-Modified included), without a length.
    var headers: [(String, String)]
    var etag: String
    var lastModified: Date?
    var size: Int64
    /// What pins a read to this version (a GCS generation, an Azure ETag).
    var version: Version
}

extension ObjectRead {
    /// GetObject and HeadObject at a provider whose conditions are not S3's: the object is
    /// described, S3's conditions are evaluated on that, and the content (`content`, nil when the
    /// version changed since) is read pinned to the version described, so headers and body are
    /// of one version; a version replaced in between is described again (three times at most).
    static func pinned<Version>(
        _ request: ReadRequest, describe: () async throws -> DescribedObject<Version>,
        content: (Version) async throws -> HTTPClientResponse?
    ) async throws -> ObjectRead {
        for _ in 0..<3 {
            let object = try await describe()
            var headers = object.headers
            if try Preconditions.notModified(request.conditions, etag: object.etag, lastModified: object.lastModified) {
                return ObjectRead(status: 304, headers: headers, body: nil)
            }
            if request.head { return ObjectRead(status: 200, headers: headers + [("content-length", String(object.size))], body: nil) }
            guard let read = try await content(object.version) else { continue }
            for name in ["content-length", "content-range"] {
                if let value = read.headers.first(name: name) { headers.append((name, value)) }
            }
            return ObjectRead(status: Int(read.status.code), headers: headers, body: read.body)
        }
        throw S3Error("ServiceUnavailable", "The object kept changing while it was read. Please try again.", status: 503)
    }
}
