import CisternCore

/// A request as the gateway received it, before anything is decoded: what a signature covers.
public struct ReceivedRequest: Sendable {
    public var method: String
    /// The path as sent, still percent-encoded (`/bucket/a%20file`).
    public var path: String { didSet { self.decodedPath = PercentDecoding.decode(self.path) } }
    /// The query as sent, without `?`, still percent-encoded.
    public var query: String { didSet { self.queryParameters = Self.parse(self.query) } }
    /// The headers, names lowercased; a repeated header appears once per value.
    public var headers: [(name: String, value: String)]

    public init(method: String, path: String, query: String, headers: [(name: String, value: String)]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers.map { ($0.name.lowercased(), $0.value) }
        self.decodedPath = PercentDecoding.decode(path)
        self.queryParameters = Self.parse(query)
    }

    /// The path, decoded; nil when it cannot be. Decoded once (and again when `path` changes):
    /// the signature check and the routing both need it.
    public private(set) var decodedPath: String?

    /// A header's value (the values of a repeated one joined by commas), or nil.
    public func header(_ name: String) -> String? {
        let values = self.headers.filter { $0.name == name }.map(\.value)
        return values.isEmpty ? nil : values.joined(separator: ",")
    }

    /// The query's parameters, decoded, in the order sent; nil when the query cannot be decoded.
    /// Parsed once (and again when `query` changes): the signature check, the operation and its
    /// handler all ask for them.
    public private(set) var queryParameters: [(name: String, value: String)]?

    private static func parse(_ query: String) -> [(name: String, value: String)]? {
        var parameters: [(name: String, value: String)] = []
        for pair in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let name = equals.map { pair[..<$0] } ?? pair[...]
            let value = equals.map { pair[pair.index(after: $0)...] } ?? pair[pair.endIndex...]
            guard let name = PercentDecoding.decode(bytes: name), let value = PercentDecoding.decode(bytes: value) else { return nil }
            parameters.append((name, value))
        }
        return parameters
    }

    /// The first value of a query parameter, decoded.
    public func queryParameter(_ name: String) -> String? {
        self.queryParameters?.first { $0.name == name }?.value
    }
}

/// Percent-decoding as S3 reads paths and queries: `%XX` is a byte, everything else itself
/// (`+` stays `+`; clients that mean a space send `%20`).
enum PercentDecoding {
    static func decode(_ text: some StringProtocol) -> String? { Self.decode(bytes: text.utf8) }

    static func decode(bytes text: some Collection<UInt8>) -> String? {
        guard text.contains(UInt8(ascii: "%")) else { return String(validating: text, as: UTF8.self) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var iterator = text.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(HexDigit.value), let low = iterator.next().flatMap(HexDigit.value) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
