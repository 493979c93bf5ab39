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
}
