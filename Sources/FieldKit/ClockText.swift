import Foundation

/// Times and spans of time as the clock messages show them to a caseworker:
/// always in UTC, since the computer's own time zone setting may be as wrong
/// as its clock.
public enum ClockText {
    /// `2107-03-01 10:00 UTC`.
    public static func time(_ milliseconds: UInt64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000)) + " UTC"
    }

    /// `2 days 3 hours`, `5 hours 10 minutes`, `12 minutes`, `less than a minute`:
    /// the two largest units, which is all a person setting a clock needs.
    public static func span(_ milliseconds: UInt64) -> String {
        // To the nearest minute: a clock two days fast, measured a few
        // milliseconds after a stamp, is two days fast.
        let minutes = (milliseconds + 30_000) / 60_000
        let (days, hours, rest) = (minutes / 1_440, minutes / 60 % 24, minutes % 60)
        func unit(_ count: UInt64, _ name: String) -> String { "\(count) \(name)\(count == 1 ? "" : "s")" }
        if days > 0 { return hours > 0 ? "\(unit(days, "day")) \(unit(hours, "hour"))" : unit(days, "day") }
        if hours > 0 { return rest > 0 ? "\(unit(hours, "hour")) \(unit(rest, "minute"))" : unit(hours, "hour") }
        return minutes > 0 ? unit(minutes, "minute") : "less than a minute"
    }
}
