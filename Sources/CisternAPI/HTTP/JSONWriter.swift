import CisternCore
import Foundation
import NIOCore

/// Writes JSON straight into a `ByteBuffer`, byte for byte what `JSONBody.encoder()` writes for
/// the same values (a test holds the two together), for the lists that are polled hard and can be
/// large (`GET /bucket/available`): Foundation's `JSONEncoder` builds a tree of boxed values and
/// formats dates through a formatter, which cost most of that endpoint's time.
///
/// Callers write keys in sorted order themselves, as the encoder's `.sortedKeys` would.
struct JSONWriter {
    /// Bytes collect in a small array (appending a byte there is a store, not a call) and move
    /// into the buffer in chunks, so a large body is never held twice.
    private var bytes: [UInt8] = []
    private var written: ByteBuffer
    static let chunk = 32 * 1024

    init(capacity: Int) {
        self.written = ByteBufferAllocator().buffer(capacity: capacity)
        self.bytes.reserveCapacity(Self.chunk + 4096)
    }

    /// Moves what has collected into the buffer once it makes a chunk; call between values.
    mutating func flushIfLarge() {
        guard self.bytes.count >= Self.chunk else { return }
        self.written.writeBytes(self.bytes)
        self.bytes.removeAll(keepingCapacity: true)
    }

    /// Everything written.
    mutating func finish() -> ByteBuffer {
        self.written.writeBytes(self.bytes)
        self.bytes.removeAll()
        return self.written
    }

    mutating func raw(_ text: StaticString) {
        self.bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `"key":`, an object's first key (keys are our own ASCII names: never escaped).
    mutating func key(_ name: StaticString) {
        self.bytes.append(UInt8(ascii: "\""))
        self.raw(name)
        self.raw("\":")
    }

    /// `,"key":`, any later key of the object.
    mutating func nextKey(_ name: StaticString) {
        self.bytes.append(UInt8(ascii: ","))
        self.key(name)
    }

    mutating func string(_ value: String) {
        self.bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                self.escape(byte)
                start = index + 1
            }
            self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<utf8.count]))
        }
        self.bytes.append(UInt8(ascii: "\""))
    }

    mutating func string(orNull value: String?) {
        if let value { self.string(value) } else { self.raw("null") }
    }

    /// A UUID as its lowercase string, the wire form of every id.
    mutating func id(_ value: UUID) {
        self.bytes.append(UInt8(ascii: "\""))
        self.bytes.append(contentsOf: value.canonical.utf8)
        self.bytes.append(UInt8(ascii: "\""))
    }

    /// An instant as `.iso8601` writes it: UTC, whole seconds, `Z`.
    mutating func date(_ value: Date) {
        let seconds = Int64(value.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = CivilDate.date(daysSince1970: days)
        self.bytes.append(UInt8(ascii: "\""))
        self.digits(Int(year), 4)
        self.bytes.append(UInt8(ascii: "-"))
        self.digits(month, 2)
        self.bytes.append(UInt8(ascii: "-"))
        self.digits(day, 2)
        self.bytes.append(UInt8(ascii: "T"))
        self.digits(secondOfDay / 3600, 2)
        self.bytes.append(UInt8(ascii: ":"))
        self.digits(secondOfDay / 60 % 60, 2)
        self.bytes.append(UInt8(ascii: ":"))
        self.digits(secondOfDay % 60, 2)
        self.raw("Z\"")
    }

    private mutating func digits(_ value: Int, _ width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            self.bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }

    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): self.raw("\\\"")
        case UInt8(ascii: "\\"): self.raw("\\\\")
        case 0x08: self.raw("\\b")
        case 0x0c: self.raw("\\f")
        case 0x0a: self.raw("\\n")
        case 0x0d: self.raw("\\r")
        case 0x09: self.raw("\\t")
        default:
            self.raw("\\u00")
            self.bytes.append(Self.hex[Int(byte >> 4)])
            self.bytes.append(Self.hex[Int(byte & 0x0f)])
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)
}
