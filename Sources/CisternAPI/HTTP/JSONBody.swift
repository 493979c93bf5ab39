import CisternCore
import CisternWire
import Foundation
import Hummingbird
import NIOCore

/// Reading JSON request bodies: bounded in size, and every way a body can be wrong answered
/// with a 400 whose message names the field.
enum JSONBody {
    /// The largest body any endpoint accepts.
    static let maximumSize = 1 << 20

    /// The encoder of every response body: ISO-8601 UTC instants, keys in a stable order.
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Decodes the whole body as `T`.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumSize)
        } catch is NIOTooManyBytesError {
            throw CisternError.invalid("body", "must be at most 1 MiB")
        }
        return try decode(type, from: Data(buffer.readableBytesView))
    }

    /// Decodes `data` as `T`, translating decoding failures into field-naming 400s.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        guard !data.isEmpty else { throw CisternError.invalid("body", "a JSON object is required") }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw translate(error)
        }
    }

    /// An optional body: absent or empty decodes as nil.
    static func decodeIfPresent<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T? {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumSize)
        } catch is NIOTooManyBytesError {
            throw CisternError.invalid("body", "must be at most 1 MiB")
        }
        guard buffer.readableBytes > 0 else { return nil }
        return try decode(type, from: Data(buffer.readableBytesView))
    }

    static func translate(_ error: DecodingError) -> CisternError {
        switch error {
        case .keyNotFound(let key, let context):
            return .invalid(path(context.codingPath + [key]), "is required")
        case .valueNotFound(_, let context):
            return .invalid(path(context.codingPath), "must not be null")
        case .typeMismatch(let type, let context):
            return .invalid(path(context.codingPath), "must be \(describe(type))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .invalid("body", "is not valid JSON") }
            return .invalid(path(context.codingPath), "has an invalid value")
        @unknown default:
            return .invalid("body", "cannot be read")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        guard !keys.isEmpty else { return "body" }
        var result = ""
        for key in keys {
            if let index = key.intValue, key.stringValue.hasPrefix("Index") || key.stringValue == "\(index)" {
                result += "[\(index)]"
            } else {
                result += result.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return result
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type: "a whole number"
        case is Double.Type: "a number"
        default: type == [String: Any].self ? "an object" : "of another type"
        }
    }
}

extension Request {
    /// The body decoded as `T` (see `JSONBody`).
    func decodeJSON<T: Decodable>(as type: T.Type) async throws -> T {
        try await JSONBody.decode(type, from: self)
    }
}
