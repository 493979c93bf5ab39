/// Just enough XML for S3's answers and requests: elements, their text and children, the five
/// named entities and character references. Attributes, comments, declarations and processing
/// instructions are read past. Anything else is malformed.
struct XMLNode: Sendable {
    var name: String
    var text = ""
    var children: [XMLNode] = []

    /// The first child called `name`.
    func child(_ name: String) -> XMLNode? { self.children.first { $0.name == name } }

    /// Every child called `name`.
    func children(_ name: String) -> [XMLNode] { self.children.filter { $0.name == name } }

    /// The text of the first child called `name`.
    func value(_ name: String) -> String? { self.child(name)?.text }

    /// The document's root element, or nil when `bytes` is not XML this reader understands.
    static func parse(_ bytes: [UInt8]) -> XMLNode? {
        var reader = Reader(bytes: bytes)
        return reader.document()
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        mutating func document() -> XMLNode? {
            self.skipMisc()
            guard let root = self.element() else { return nil }
            self.skipMisc()
            return self.index == self.bytes.count ? root : nil
        }

        /// Whitespace, `<?...?>`, `<!--...-->` and `<!...>` between elements.
        mutating func skipMisc() {
            while self.index < self.bytes.count {
                if Self.isSpace(self.bytes[self.index]) {
                    self.index += 1
                } else if self.startsWith("<?") {
                    guard self.skip(past: "?>") else { return }
                } else if self.startsWith("<!--") {
                    guard self.skip(past: "-->") else { return }
                } else if self.startsWith("<!") {
                    guard self.skip(past: ">") else { return }
                } else {
                    return
                }
            }
        }

        mutating func element() -> XMLNode? {
            guard self.startsWith("<"), !self.startsWith("</") else { return nil }
            self.index += 1
            let nameStart = self.index
            while self.index < self.bytes.count, !Self.isSpace(self.bytes[self.index]), self.bytes[self.index] != UInt8(ascii: ">"),
                self.bytes[self.index] != UInt8(ascii: "/")
            {
                self.index += 1
            }
            guard self.index > nameStart else { return nil }
            var node = XMLNode(name: String(decoding: self.bytes[nameStart..<self.index], as: UTF8.self))
            // Attributes are read past, minding quotes.
            var quote: UInt8?
            while self.index < self.bytes.count {
                let byte = self.bytes[self.index]
                if let open = quote {
                    if byte == open { quote = nil }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: ">") {
                    break
                }
                self.index += 1
            }
            guard self.index < self.bytes.count else { return nil }
            if self.bytes[self.index - 1] == UInt8(ascii: "/") {
                self.index += 1
                return node
            }
            self.index += 1
            var text: [UInt8] = []
            while self.index < self.bytes.count {
                if self.startsWith("</") {
                    self.index += 2
                    let closeStart = self.index
                    guard self.skip(past: ">") else { return nil }
                    let closing = String(decoding: self.bytes[closeStart..<(self.index - 1)], as: UTF8.self)
                    guard closing.trimmingTrailingSpaces() == node.name, let decoded = Self.decodeEntities(text) else { return nil }
                    node.text = decoded
                    return node
                } else if self.startsWith("<!--") || self.startsWith("<?") {
                    self.skipMisc()
                } else if self.startsWith("<![CDATA[") {
                    self.index += 9
                    let start = self.index
                    guard self.skip(past: "]]>") else { return nil }
                    // CDATA is literal: escape its ampersands so the entity pass leaves it alone.
                    for byte in self.bytes[start..<(self.index - 3)] {
                        if byte == UInt8(ascii: "&") { text += Array("&amp;".utf8) } else { text.append(byte) }
                    }
                } else if self.startsWith("<") {
                    guard let child = self.element() else { return nil }
                    node.children.append(child)
                } else {
                    text.append(self.bytes[self.index])
                    self.index += 1
                }
            }
            return nil
        }

        func startsWith(_ prefix: StaticString) -> Bool {
            let count = prefix.utf8CodeUnitCount
            guard self.index + count <= self.bytes.count else { return false }
            return prefix.withUTF8Buffer { Array($0) == Array(self.bytes[self.index..<(self.index + count)]) }
        }

        /// Moves past the next `terminator`; false when there is none.
        mutating func skip(past terminator: StaticString) -> Bool {
            while self.index < self.bytes.count {
                if self.startsWith(terminator) {
                    self.index += terminator.utf8CodeUnitCount
                    return true
                }
                self.index += 1
            }
            return false
        }

        static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d }

        static func decodeEntities(_ bytes: [UInt8]) -> String? {
            guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
            var out = ""
            var text = String(decoding: bytes, as: UTF8.self)[...]
            while let amp = text.firstIndex(of: "&") {
                out += text[..<amp]
                guard let semicolon = text[amp...].firstIndex(of: ";") else { return nil }
                let entity = text[text.index(after: amp)..<semicolon]
                switch entity {
                case "lt": out += "<"
                case "gt": out += ">"
                case "amp": out += "&"
                case "quot": out += "\""
                case "apos": out += "'"
                default:
                    let number: UInt32? =
                        entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16) : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                    guard let number, let scalar = Unicode.Scalar(number) else { return nil }
                    out.unicodeScalars.append(scalar)
                }
                text = text[text.index(after: semicolon)...]
            }
            return out + text
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = Substring(self)
        while let last = text.last, last == " " || last == "\t" || last == "\n" || last == "\r" { text.removeLast() }
        return String(text)
    }
}

/// Writes XML documents the way S3 answers.
struct XMLWriter {
    private(set) var text = #"<?xml version="1.0" encoding="UTF-8"?>"#

    init() {}

    mutating func open(_ name: String, namespace: Bool = false) {
        self.text += namespace ? #"<\#(name) xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"# : "<\(name)>"
    }

    mutating func close(_ name: String) { self.text += "</\(name)>" }

    mutating func element(_ name: String, _ value: String) {
        self.text += "<\(name)>\(Self.escape(value))</\(name)>"
    }

    mutating func element(_ name: String, _ value: String?) {
        if let value { self.element(name, value) }
    }

    /// `&`, `<`, `>`, quotes, and the control characters XML 1.0 can only carry as references.
    static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\r": out += "&#13;"
            case _ where scalar.value < 0x20 && scalar != "\n" && scalar != "\t": out += "&#\(scalar.value);"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
