import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore

/// What the gateway answers: a status, headers and a body that may still be streaming from the
/// provider.
struct GatewayResponse: Sendable {
    enum Body: Sendable {
        case empty
        case bytes(ByteBuffer)
        case upstream(HTTPClientResponse.Body)
    }

    var status: HTTPResponse.Status
    var headers = HTTPFields()
    var body = Body.empty

    /// An XML document, 200 unless said otherwise.
    static func xml(_ writer: XMLWriter, status: HTTPResponse.Status = .ok) -> GatewayResponse {
        var response = GatewayResponse(status: status, body: .bytes(ByteBuffer(string: writer.text)))
        response.headers[.contentType] = "application/xml"
        return response
    }

    /// S3's error document for `error` on `resource` (none for a 304, which HTTP sends without a body).
    static func error(_ error: S3Error, resource: String, requestId: String) -> GatewayResponse {
        guard error.status != 304 else { return GatewayResponse(status: .notModified) }
        var writer = XMLWriter()
        writer.open("Error")
        writer.element("Code", error.code)
        writer.element("Message", error.message)
        writer.element("Resource", resource)
        writer.element("RequestId", requestId)
        writer.close("Error")
        return .xml(writer, status: HTTPResponse.Status(code: error.status))
    }
}

extension HTTPField.Name {
    static let amzRequestId = HTTPField.Name("x-amz-request-id")!
    static let amzBucketRegion = HTTPField.Name("x-amz-bucket-region")!
    static let amzReplicationStatus = HTTPField.Name("x-amz-replication-status")!
}
