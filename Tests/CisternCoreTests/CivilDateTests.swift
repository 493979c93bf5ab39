import CisternCore
import Foundation
import Testing

/// The calendar arithmetic behind JSON dates and SigV4 timestamps, against Foundation's calendar.
@Suite("Civil dates")
struct CivilDateTests {
    @Test func daysAndDatesMatchTheCalendarBothWays() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        // From 1600 (Foundation's calendar is Julian before 1582) to 9999.
        for days in stride(from: Int64(-135_140), through: 2_932_896, by: 997) {
            let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(days) * 86_400))
            let civil = CivilDate.date(daysSince1970: days)
            #expect(civil.year == Int64(parts.year!) && civil.month == parts.month! && civil.day == parts.day!, "day \(days)")
            #expect(CivilDate.days(year: civil.year, month: civil.month, day: civil.day) == days, "day \(days)")
        }
    }

    /// S3's XML dates (ListBuckets' CreationDate), against Foundation's formatter, which the
    /// gateway used before a profile showed it creating one per request.
    @Test func iso8601WithMillisecondsMatchesFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for milliseconds in stride(from: Int64(-2_208_988_800_000), through: 253_402_300_799_000, by: 86_400_017 * 37 + 123) {
            let instant = Double(milliseconds) / 1000
            #expect(CivilDate.iso8601Milliseconds(secondsSince1970: instant) == formatter.string(from: Date(timeIntervalSince1970: instant)))
        }
        #expect(CivilDate.iso8601Milliseconds(secondsSince1970: 1_796_037_777.123) == "2026-11-30T11:22:57.123Z")
    }

    /// HTTP dates (Azure's `x-ms-date`), against the `DateFormatter` the Shared Key signer made per
    /// request before, from 1900 to 9999, weekdays included.
    @Test func httpDatesMatchFoundation() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        for seconds in stride(from: Int64(-2_208_988_800), through: 253_402_300_799, by: 86_400 * 11 + 3_599) {
            #expect(CivilDate.httpDate(secondsSince1970: seconds) == formatter.string(from: Date(timeIntervalSince1970: Double(seconds))))
        }
        #expect(CivilDate.httpDate(secondsSince1970: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(CivilDate.httpDate(secondsSince1970: 1_795_869_296) == "Sat, 28 Nov 2026 12:34:56 GMT")
    }

    /// Conditional requests' dates read back what `httpDate` writes; other forms are refused.
    @Test func httpDatesReadBack() {
        for seconds in stride(from: Int64(-2_208_988_800), through: 253_402_300_799, by: 86_400 * 13 + 4_001) {
            #expect(CivilDate.parseHTTPDate(CivilDate.httpDate(secondsSince1970: seconds)) == seconds)
        }
        for text in ["", "Sat, 28 Nov 2026 12:34:56", "Sat, 28 Nvm 2026 12:34:56 GMT", "Sat, 28 Nov 2026 24:00:00 GMT", "2026-11-28T12:34:56Z"] {
            #expect(CivilDate.parseHTTPDate(text) == nil, "\(text)")
        }
    }
}
