import Foundation

extension Date {
    /// The stored form of an instant: whole milliseconds since 1970 (a `BIGINT` column).
    package var millisecondsSince1970: Int64 {
        Int64((self.timeIntervalSince1970 * 1000).rounded(.down))
    }

    package init(millisecondsSince1970 value: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(value) / 1000)
    }
}
