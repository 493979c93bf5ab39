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
            return ProviderError(
                status: .disconnected, reason: "\(self.summary): the bucket answers at another endpoint or region", httpStatus: self.status)
        case 400..<500:
            return ProviderError(status: .disconnected, reason: self.summary, detail: self.explanation, httpStatus: self.status)
        default:
            return ProviderError(status: .offline, reason: self.summary, detail: self.explanation, httpStatus: self.status)
        }
    }

    /// What a caller may be told of a refusal: the provider's error code, else the HTTP status.
    var summary: String { self.code ?? "HTTP \(self.status)" }

    /// The provider's error code: from an XML error document (S3, Azure), Azure's
    /// `x-ms-error-code` header, or a JSON error's first reason (GCS:
    /// `{"error": {"errors": [{"reason": "notFound"}], "message": ...}}`). Only a word of letters
    /// and digits counts as a code: a caller is never shown the provider's free text.
    var code: String? {
        Self.errorCode(
            XMLText.first("Code", in: self.body) ?? self.headers.first { $0.0.lowercased() == "x-ms-error-code" }?.1 ?? self.jsonErrorReason
        )
    }

    /// `candidate` when it looks like an error code (1 to 64 ASCII letters, digits, `_` or `.`).
    static func errorCode(_ candidate: String?) -> String? {
        guard let candidate, (1...64).contains(candidate.unicodeScalars.count),
            candidate.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == ".") })
        else { return nil }
        return candidate
    }

    private var jsonError: [String: Any]? {
        let json = try? JSONSerialization.jsonObject(with: Data(self.body.utf8)) as? [String: Any]
        return json?["error"] as? [String: Any]
    }

    private var jsonErrorReason: String? {
        ((self.jsonError?["errors"] as? [[String: Any]])?.first?["reason"] as? String) ?? (self.jsonError?["status"] as? String)
    }

    /// `Code: Message`, or the HTTP status: for the server's log.
    var explanation: String {
        if let message = self.jsonError?["message"] as? String { return String("\(self.summary): \(message)".prefix(300)) }
        guard let code = self.code else { return "HTTP \(self.status)" }
        let message = XMLText.first("Message", in: self.body).map { ": \($0.split(separator: "\n").first.map(String.init) ?? $0)" } ?? ""
        return String("\(code)\(message)".prefix(300))
    }

    /// Sends `request` within `timeout` and reads the answer (at most `limit` bytes of it); a
    /// transport failure is OFFLINE.
    static func fetch(
        _ request: HTTPClientRequest, with http: HTTPClient, timeout: TimeAmount, limit: Int = 64 * 1024
    ) async throws(ProviderError) -> ProviderResponse {
        do {
            let response = try await http.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: limit)
            return ProviderResponse(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: String(buffer: bytes))
        } catch let error as NIOTooManyBytesError {
            throw ProviderError(status: .offline, reason: "answer too large", detail: "\(error)")
        } catch {
            throw ProviderError.noAnswer(error)
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
        func result(_ error: ProviderError) -> ProbeResult {
            let elapsed = ContinuousClock.now - start
            let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            return ProbeResult(status: error.status, latencyMs: Int(milliseconds), reason: error.reason, detail: error.detail)
        }
        do {
            let response = try await request()
            if let failure = response.failure { return result(failure) }
            return result(ProviderError(status: .online, reason: "listed the bucket"))
        } catch let error as ProviderError {
            return result(error)
        } catch {
            return result(.noAnswer(error))
        }
    }
}
