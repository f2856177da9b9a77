import Foundation
import PageKit
import Testing

/// Dates as Danes write them, on Copenhagen's clock, summer time included.
@Suite struct DateTextTests {
    static func utc(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text)!
    }

    @Test func winterTimeIsAnHourAheadOfUTC() {
        let date = Self.utc("2026-12-06T13:05:00Z")
        #expect(DateText(.danish).date(date) == "6. december 2026")
        #expect(DateText(.danish).time(date) == "14.05")
        #expect(DateText(.english).date(date) == "6 December 2026")
        #expect(DateText(.english).time(date) == "14:05")
        #expect(DateText(.danish).dateAndTime(date) == "6. december 2026 kl. 14.05")
        #expect(DateText(.english).dateAndTime(date) == "6 December 2026 at 14:05")
    }

    @Test func summerTimeIsTwoHoursAhead() {
        let date = Self.utc("2026-07-01T12:05:00Z")
        #expect(DateText(.danish).date(date) == "1. juli 2026")
        #expect(DateText(.danish).time(date) == "14.05")
        #expect(DateText(.english).date(date) == "1 July 2026")
    }

    @Test func theDayChangesAtCopenhagensMidnightNotUTCs() {
        let late = Self.utc("2026-12-06T23:30:00Z")
        #expect(DateText(.danish).date(late) == "7. december 2026")
        #expect(DateText(.danish).time(late) == "00.30")
        // The last Sunday of March: 02.00 becomes 03.00.
        #expect(DateText(.danish).time(Self.utc("2026-03-29T00:59:00Z")) == "01.59")
        #expect(DateText(.danish).time(Self.utc("2026-03-29T01:00:00Z")) == "03.00")
        let milliseconds = Int64(Self.utc("2026-10-25T00:30:00Z").timeIntervalSince1970 * 1000)
        #expect(DateText(.danish).dateAndTime(milliseconds: milliseconds) == "25. oktober 2026 kl. 02.30")
    }

    @Test func aCalendarDayIsShownAsWritten() {
        #expect(DateText(.danish).day(year: 2026, month: 12, day: 1) == "1. december 2026")
        #expect(DateText(.danish).day(year: 2027, month: 3, day: 28) == "28. marts 2027")
        #expect(DateText(.english).day(year: 2027, month: 3, day: 28) == "28 March 2027")
    }

    @Test func todayIsCopenhagensDay() {
        let today = DateText.today(now: Self.utc("2026-12-31T23:30:00Z"))
        #expect(today.year == 2027 && today.month == 1 && today.day == 1)
    }
}
