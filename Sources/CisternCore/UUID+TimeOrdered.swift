import Foundation
import Synchronization

extension UUID {
    /// A version 7 UUID (RFC 9562): the wall clock's milliseconds, then a counter, then random
    /// bits. Ids made by one process sort (as canonical text too) in the order they were made,
    /// even within one millisecond or when the clock steps back.
    public static func timeOrdered() -> UUID {
        let (milliseconds, counter) = TimeOrderedClock.shared.next()
        var random = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
        bytes[6] = 0x70 | UInt8(counter >> 8)
        bytes[7] = UInt8(truncatingIfNeeded: counter)
        let tail = random.next() as UInt64
        for index in 8..<16 { bytes[index] = UInt8(truncatingIfNeeded: tail >> (8 * (15 - index))) }
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}

/// The last (millisecond, counter) handed out, so the next is always greater.
private final class TimeOrderedClock: Sendable {
    static let shared = TimeOrderedClock()
    private let last = Mutex<(milliseconds: UInt64, counter: UInt16)>((0, 0))

    func next() -> (UInt64, UInt16) {
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        return self.last.withLock { last in
            if now > last.milliseconds {
                last = (now, 0)
            } else if last.counter < 0x0FFF {
                last.counter += 1
            } else {
                last = (last.milliseconds + 1, 0)
            }
            return last
        }
    }
}
