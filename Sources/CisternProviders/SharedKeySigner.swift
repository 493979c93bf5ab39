import CisternCore
import Crypto
import Foundation

/// Azure Storage Shared Key authorization (`Authorization: SharedKey account:signature`).
/// Checked against the signatures of Microsoft's Python SDK in
/// `Tests/CisternProvidersTests/Fixtures/sharedkey.json`.
public enum SharedKeySigner {
    /// The standard headers that are signed by position, in order.
    static let positionalHeaders = [
        "content-encoding", "content-language", "content-length", "content-md5", "content-type", "date", "if-modified-since",
        "if-match", "if-none-match", "if-unmodified-since", "range",
    ]

    /// The `Authorization` value for a request. `encodedPath` is the path as sent (percent-encoded);
    /// `query` holds decoded names and values; `headers` must include `x-ms-date` and `x-ms-version`.
    public static func authorization(
        method: String, encodedPath: String, query: [(name: String, value: String)], headers: [(name: String, value: String)],
        account: String, key: SecretValue
    ) throws(ProviderError) -> String {
        guard let keyBytes = Data(base64Encoded: key.revealed.trimmingCharacters(in: .whitespacesAndNewlines)), !keyBytes.isEmpty else {
            throw ProviderError(status: .disconnected, reason: "the account key is not valid base64")
        }
        var byName: [String: String] = [:]
        for header in headers { byName[header.name.lowercased()] = header.value }
        if byName["content-length"] == "0" { byName["content-length"] = nil }
        var lines = [method.uppercased()]
        lines += Self.positionalHeaders.map { byName[$0] ?? "" }
        let msHeaders: [(String, String)] = byName.filter { $0.key.hasPrefix("x-ms-") }.map { ($0.key, $0.value) }
        let canonicalHeaders: String = msHeaders.sorted { $0.0 < $1.0 }.map { "\($0.0):\($0.1)\n" }.joined()
        let lowered: [(String, String)] = query.map { ($0.name.lowercased(), $0.value) }
        let sortedQuery = lowered.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        var resource = "/\(account)\(encodedPath)"
        for (name, value) in sortedQuery { resource += "\n\(name):\(value)" }
        let stringToSign = lines.joined(separator: "\n") + "\n" + canonicalHeaders + resource
        let signature = HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: SymmetricKey(data: keyBytes))
        return "SharedKey \(account):\(Data(signature).base64EncodedString())"
    }

    /// `Sat, 28 Nov 2026 12:34:56 GMT`, by arithmetic (a `DateFormatter` per request was on every
    /// Azure call's path).
    public static func httpDate(_ date: Date) -> String {
        CivilDate.httpDate(secondsSince1970: Int64(date.timeIntervalSince1970.rounded(.down)))
    }
}
