import CisternCore
import Foundation

/// S3's conditional reads (`If-Match`, `If-None-Match`, `If-Modified-Since`,
/// `If-Unmodified-Since`), evaluated against an object's ETag and modification time for the
/// providers whose own conditions are not S3's (GCS conditions on generations, Azure's ETags are
/// not the ones clients see). Precedence as S3 documents it: a matching `If-Match` overrides a
/// failing `If-Unmodified-Since`, a failing `If-None-Match` overrides a passing
/// `If-Modified-Since`.
enum Preconditions {
    /// Throws `NotModified` (304) or `PreconditionFailed` (412) when the read must not happen.
    static func check(_ conditions: [(String, String)], etag: String, lastModified: Date?) throws(S3Error) {
        func value(_ name: String) -> String? { conditions.first { $0.0 == name }?.1 }
        let modified = lastModified.map { $0.timeIntervalSince1970.rounded(.down) }
        if let ifMatch = value("if-match") {
            guard Self.matches(ifMatch, etag) else { throw Self.failed }
        } else if let since = value("if-unmodified-since").flatMap(Self.httpDate), let modified, modified > since {
            throw Self.failed
        }
        if let ifNoneMatch = value("if-none-match") {
            if Self.matches(ifNoneMatch, etag) { throw S3Error("NotModified", "Not Modified", status: 304) }
        } else if let since = value("if-modified-since").flatMap(Self.httpDate), let modified, modified <= since {
            throw S3Error("NotModified", "Not Modified", status: 304)
        }
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
