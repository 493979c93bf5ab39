import AsyncHTTPClient
import CisternCore
import Foundation
import NIOCore
import NIOHTTP1

/// A provider's answer to one request: status, headers and at most 64 KiB of body.
public struct ProviderResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String

    public init(status: Int, headers: [(String, String)], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// What the answer means for the bucket, shared by every provider: nil for a success;
    /// DISCONNECTED when the provider answered but refused (3xx, 4xx); OFFLINE for a server error.
    public var failure: ProviderError? {
        switch self.status {
        case 200..<300:
            return nil
        case 300..<400:
            return ProviderError(status: .disconnected, reason: "\(self.code ?? "HTTP \(self.status)"): the bucket answers at another endpoint or region")
        case 400..<500:
            return ProviderError(status: .disconnected, reason: self.explanation)
        default:
            return ProviderError(status: .offline, reason: self.explanation)
        }
    }

    /// The provider's error code: from an XML error document (S3, Azure), Azure's
    /// `x-ms-error-code` header, or a JSON error's message (GCS: `{"error": {"message": ...}}`).
    var code: String? {
        XMLText.first("Code", in: self.body) ?? self.headers.first { $0.0.lowercased() == "x-ms-error-code" }?.1 ?? self.jsonErrorMessage
    }

    private var jsonErrorMessage: String? {
        let json = try? JSONSerialization.jsonObject(with: Data(self.body.utf8)) as? [String: Any]
        return ((json?["error"] as? [String: Any])?["message"] as? String).map { String($0.prefix(200)) }
    }

    /// `Code: Message`, or the HTTP status.
    var explanation: String {
        guard let code = self.code else { return "HTTP \(self.status)" }
        let message = XMLText.first("Message", in: self.body).map { ": \($0.split(separator: "\n").first.map(String.init) ?? $0)" } ?? ""
        return String("\(code)\(message)".prefix(300))
    }

    /// Sends `request` within `timeout` and reads the answer; a transport failure is OFFLINE.
    static func fetch(_ request: HTTPClientRequest, with http: HTTPClient, timeout: TimeAmount) async throws(ProviderError) -> ProviderResponse {
        do {
            let response = try await http.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 64 * 1024)
            return ProviderResponse(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: String(buffer: bytes))
        } catch let error as NIOTooManyBytesError {
            throw ProviderError(status: .offline, reason: "answer too large (\(error))")
        } catch {
            throw ProviderError(status: .offline, reason: Self.describe(error))
        }
    }

    /// A short description of a transport failure.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: return "timed out"
            case .connectTimeout: return "connection timed out"
            default: return String("\(error)".prefix(200))
            }
        }
        let text = "\(error)"
        if text.contains("Connection refused") { return "connection refused" }
        return String(text.prefix(200))
    }

    /// Runs a probe: a success is ONLINE, anything else its status and reason, with the latency.
    static func probe(_ request: () async throws -> ProviderResponse) async -> ProbeResult {
        let start = ContinuousClock.now
        func result(_ status: BucketStatus, _ reason: String) -> ProbeResult {
            let elapsed = ContinuousClock.now - start
            let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            return ProbeResult(status: status, latencyMs: Int(milliseconds), reason: reason)
        }
        do {
            let response = try await request()
            if let failure = response.failure { return result(failure.status, failure.reason) }
            return result(.online, "listed the bucket")
        } catch let error as ProviderError {
            return result(error.status, error.reason)
        } catch {
            return result(.offline, Self.describe(error))
        }
    }
}
