/// An error as S3 reports it: a code clients switch on, a message for people, and the status.
/// Its text never holds a secret or an upstream URL with credentials.
public struct S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var status: Int

    public init(_ code: String, _ message: String, status: Int) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String { "\(self.code): \(self.message)" }

    public static func accessDenied(_ message: String = "Access Denied") -> S3Error { S3Error("AccessDenied", message, status: 403) }

    public static func authorizationHeaderMalformed(_ message: String) -> S3Error {
        S3Error("AuthorizationHeaderMalformed", message, status: 400)
    }

    public static func authorizationQueryParametersError(_ message: String) -> S3Error {
        S3Error("AuthorizationQueryParametersError", message, status: 400)
    }

    public static let invalidAccessKeyId = S3Error(
        "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", status: 403
    )

    public static let signatureDoesNotMatch = S3Error(
        "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        status: 403
    )

    public static let requestTimeTooSkewed = S3Error(
        "RequestTimeTooSkewed", "The difference between the request time and the server's time is too large.", status: 403
    )

    public static let contentSHA256Mismatch = S3Error(
        "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", status: 400
    )

    public static func badDigest(_ message: String) -> S3Error { S3Error("BadDigest", message, status: 400) }

    public static func invalidDigest(_ message: String) -> S3Error { S3Error("InvalidDigest", message, status: 400) }

    public static func invalidRequest(_ message: String) -> S3Error { S3Error("InvalidRequest", message, status: 400) }

    public static func incompleteBody(_ message: String) -> S3Error { S3Error("IncompleteBody", message, status: 400) }

    /// Refuses a key or prefix with a `.` or `..` segment. S3 itself stores such keys, but
    /// providers that map keys to files (SeaweedFS, MinIO) may resolve them, which could lead a
    /// key out of its repository's folder: the gateway serves none.
    static func requireNoDotSegments(_ key: String, in field: String) throws(S3Error) {
        guard key.contains(".") else { return }
        if key.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == "." || $0 == ".." }) {
            throw S3Error("InvalidArgument", "\(field) with '.' or '..' path segments are not served", status: 400)
        }
    }
}
