/// Dates of the proleptic Gregorian calendar as plain arithmetic (Howard Hinnant's algorithms),
/// for the hot paths that write or read instants as text: JSON bodies, SigV4 timestamps.
/// Foundation's calendar showed in both profiles.
public enum CivilDate {
    /// Year, month and day of a day count since 1970-01-01.
    public static func date(daysSince1970: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = daysSince1970 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days since 1970-01-01 of a year, month and day (which must exist: see `date` to check).
    public static func days(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = Int64((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1)
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// An instant (seconds since 1970) as ISO 8601 in UTC with milliseconds,
    /// `2026-11-30T11:22:57.123Z`: the form S3 writes its XML dates in (to the nearest millisecond).
    public static func iso8601Milliseconds(secondsSince1970: Double) -> String {
        let milliseconds = Int64((secondsSince1970 * 1000).rounded())
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = Self.date(daysSince1970: days)
        var text = ""
        text.reserveCapacity(24)
        func append(_ value: Int, _ width: Int) {
            let digits = String(value)
            text += String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        append(Int(year), 4)
        text += "-"
        append(month, 2)
        text += "-"
        append(day, 2)
        text += "T"
        append(secondOfDay / 3600, 2)
        text += ":"
        append(secondOfDay / 60 % 60, 2)
        text += ":"
        append(secondOfDay % 60, 2)
        text += "."
        append(Int(milliseconds - seconds * 1000), 3)
        return text + "Z"
    }

    /// An instant (whole seconds since 1970) as an HTTP date (RFC 9110's IMF-fixdate,
    /// `Mon, 30 Nov 2026 11:22:57 GMT`): what Azure's `x-ms-date` and `Last-Modified` carry.
    public static func httpDate(secondsSince1970: Int64) -> String {
        let days = secondsSince1970 >= 0 ? secondsSince1970 / 86_400 : (secondsSince1970 - 86_399) / 86_400
        let secondOfDay = Int(secondsSince1970 - days * 86_400)
        let (year, month, day) = Self.date(daysSince1970: days)
        // 1970-01-01 was a Thursday.
        let weekday = Int(((days % 7) + 7 + 4) % 7)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        let names = (
            weekdays: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
            months: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        )
        return "\(names.weekdays[weekday]), \(two(day)) \(names.months[month - 1]) \(year) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) GMT"
    }

    /// Seconds since 1970 of an HTTP date in IMF-fixdate form (`Mon, 30 Nov 2026 11:22:57 GMT`),
    /// the one form RFC 9110 has senders generate; nil for anything else.
    public static func parseHTTPDate(_ text: String) -> Int64? {
        let fields = text.split(separator: " ")
        guard fields.count == 6, fields[5] == "GMT", let day = Int(fields[1]), let year = Int64(fields[3]),
            let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].firstIndex(of: String(fields[2]))
        else { return nil }
        let clock = fields[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3, (1...31).contains(day), (0...23).contains(clock[0]), (0...59).contains(clock[1]), (0...60).contains(clock[2])
        else { return nil }
        return Self.days(year: year, month: month + 1, day: day) * 86_400 + Int64(clock[0] * 3600 + clock[1] * 60 + clock[2])
    }
}
