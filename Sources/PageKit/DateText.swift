import Foundation

/// Dates and times as the reader writes them, on the clock of the office
/// (Europe/Copenhagen, summer time included): "6. december 2026" and "14.05"
/// in Danish, "6 December 2026" and "14:05" in English.
public struct DateText {
    public let language: Language
    public static let timeZone = TimeZone(identifier: "Europe/Copenhagen")!
    private let dateFormatter: DateFormatter
    private let timeFormatter: DateFormatter

    public init(_ language: Language) {
        self.language = language
        let locale = Locale(identifier: language == .danish ? "da_DK" : "en_GB")
        dateFormatter = DateFormatter()
        dateFormatter.locale = locale
        dateFormatter.timeZone = Self.timeZone
        dateFormatter.dateFormat = language == .danish ? "d. MMMM y" : "d MMMM y"
        timeFormatter = DateFormatter()
        timeFormatter.locale = locale
        timeFormatter.timeZone = Self.timeZone
        timeFormatter.dateFormat = language == .danish ? "HH.mm" : "HH:mm"
    }

    public func date(_ date: Date) -> String { dateFormatter.string(from: date) }

    public func time(_ date: Date) -> String { timeFormatter.string(from: date) }

    /// "6. december 2026 kl. 14.05", "6 December 2026 at 14:05".
    public func dateAndTime(_ date: Date) -> String {
        language == .danish ? "\(self.date(date)) kl. \(time(date))" : "\(self.date(date)) at \(time(date))"
    }

    public func dateAndTime(milliseconds: Int64) -> String {
        dateAndTime(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// A calendar day without a time (a deadline, a meeting's date).
    public func day(year: Int, month: Int, day: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Self.timeZone
        guard let noon = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12)) else {
            return "\(year)-\(month)-\(day)"
        }
        return date(noon)
    }

    /// Today's day in the office's calendar, as year, month and day.
    public static func today(now: Date = Date()) -> (year: Int, month: Int, day: Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: now)
        return (parts.year!, parts.month!, parts.day!)
    }
}
