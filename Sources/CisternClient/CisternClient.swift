import AsyncHTTPClient
import CisternWire
import Foundation
import NIOCore
import NIOHTTP1

/// A client of Cistern's management API: JSON in and out as the wire types (`CisternWire`)
/// describe it, a bearer token when one is given, and the API's error bodies turned into
/// `APIError`.
public struct CisternClient: Sendable {
    /// The server, without a trailing slash: `http://127.0.0.1:8080`.
    public let baseURL: String
    /// The access token sent as `Authorization: Bearer`, if any.
    public var accessToken: String?
    let http: HTTPClient
    let timeout: TimeAmount

    public init(baseURL: String, accessToken: String? = nil, http: HTTPClient = .shared, timeout: TimeAmount = .seconds(60)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.accessToken = accessToken
        self.http = http
        self.timeout = timeout
    }

    /// The raw bytes of a successful answer to `method path` with `body` as JSON.
    public func call(_ method: Method, _ path: String, body: (any Encodable & Sendable)? = nil) async throws -> Data {
        var request = HTTPClientRequest(url: self.baseURL + path)
        request.method = HTTPMethod(rawValue: method.rawValue)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "cistern-cli")
        if let accessToken { request.headers.add(name: "Authorization", value: "Bearer \(accessToken)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await self.http.execute(request, timeout: self.timeout)
        } catch {
            throw APIError(status: 0, message: "cannot reach \(self.baseURL): \(error)")
        }
        let bytes = Data(try await response.body.collect(upTo: 256 << 20).readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            let error = try? JSONDecoder().decode(ErrorBody.self, from: bytes)
            throw APIError(
                status: Int(response.status.code), message: error?.text ?? "\(response.status.code) \(response.status.reasonPhrase)",
                code: error?.errorCode
            )
        }
        return bytes
    }

    /// A successful answer decoded as `T`, with the bytes it was decoded from.
    public func call<T: Decodable>(
        _ method: Method, _ path: String, body: (any Encodable & Sendable)? = nil, as type: T.Type
    ) async throws -> (value: T, raw: Data) {
        let raw = try await self.call(method, path, body: body)
        do {
            return (try Self.decoder.decode(T.self, from: raw), raw)
        } catch {
            throw APIError(status: 0, message: "the server's answer to \(method.rawValue) \(path) is not what this client reads: \(error)")
        }
    }

    /// Instants as the server writes them: ISO 8601 in whole seconds (`JSONBody.encoder()`).
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// `path` with `query` appended, each value percent-encoded.
    public static func path(_ path: String, query: [(String, String?)]) -> String {
        let items = query.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? $0)" }
        }
        return items.isEmpty ? path : path + "?" + items.joined(separator: "&")
    }

    /// `value` as one path segment.
    public static func segment(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .urlPathSegmentAllowed) ?? value
    }
}

/// The methods the API uses.
public enum Method: String, Sendable {
    case GET, POST, PUT, DELETE
}

/// The API refused a request, or could not be reached (`status` 0).
public struct APIError: Error, CustomStringConvertible, Sendable {
    public var status: Int
    public var message: String
    public var code: String?

    public init(status: Int, message: String, code: String? = nil) {
        self.status = status
        self.message = message
        self.code = code
    }

    public var description: String { self.message }
}

extension CharacterSet {
    static let urlQueryValueAllowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&+=?#"))
    static let urlPathSegmentAllowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))
}
