/// Hexadecimal digits, as ids, signatures and percent-encodings write them.
public enum HexDigit {
    /// The value of one hex digit, either case; nil for any other byte.
    public static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `bytes` as lowercase hex: digests in ids, signatures, ETags and key names.
    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        var text = ""
        for byte in bytes {
            text.unicodeScalars.append(Unicode.Scalar(Self.lowerDigits[Int(byte >> 4)]))
            text.unicodeScalars.append(Unicode.Scalar(Self.lowerDigits[Int(byte & 0x0f)]))
        }
        return text
    }

    private static let lowerDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
