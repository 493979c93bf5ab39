import Foundation

extension UUID {
    /// Parses exactly the 36-character text form of a UUID (either case), nothing around it.
    /// Ids are read for every row of every listing and every path; Foundation's parser goes
    /// through `sscanf`, which showed in profiles, and takes a leading blank.
    public init?(canonical text: String) {
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var text = text
        let parsed = text.withUTF8 { utf8 -> Bool in
            guard utf8.count == 36 else { return false }
            return withUnsafeMutableBytes(of: &bytes) { out -> Bool in
                var position = 0
                for index in 0..<16 {
                    if position == 8 || position == 13 || position == 18 || position == 23 {
                        guard utf8[position] == UInt8(ascii: "-") else { return false }
                        position += 1
                    }
                    guard let high = HexDigit.value(utf8[position]), let low = HexDigit.value(utf8[position + 1]) else { return false }
                    out[index] = high << 4 | low
                    position += 2
                }
                return true
            }
        }
        guard parsed else { return nil }
        self.init(uuid: bytes)
    }

    /// The lowercase text form: how ids are stored and how they go on the wire.
    public var canonical: String {
        String(unsafeUninitializedCapacity: 36) { out in
            withUnsafeBytes(of: self.uuid) { bytes in
                var position = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    out[position] = Self.hexDigits[Int(byte >> 4)]
                    out[position + 1] = Self.hexDigits[Int(byte & 0x0f)]
                    position += 2
                }
            }
            return 36
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
