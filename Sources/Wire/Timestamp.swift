/// Event timestamps: the contract accepts epoch milliseconds or RFC 3339 text with an offset;
/// everything downstream uses epoch milliseconds.
public enum Timestamp {
    /// Parses the contract's time forms given as text (a command line's `--from`, a replay
    /// request's string): a number (`milliseconds(number:writtenAsInteger:)`), or RFC 3339 with
    /// an offset.
    public static func parse(_ text: String) -> Int64? {
        if let ms = Int64(text) { return ms }
        if let d = Double(text) { return milliseconds(number: d, writtenAsInteger: false) }
        return parseRFC3339(Array(text.utf8))
    }

    /// A time written as a number, read as a reading's `ts` is (docs/INTERFACE.md section 1):
    /// epoch milliseconds, a fraction rounded; but written with a fraction (or an exponent) and
    /// below `secondsBelow`, epoch seconds (`1795660041.25` is 1795660041250 ms). Replay bounds
    /// take the same forms (CONTRACT section 5; found black-box: `--from 1796485910.0` read as
    /// milliseconds, an empty answer).
    public static func milliseconds(number value: Double, writtenAsInteger: Bool) -> Int64? {
        if !writtenAsInteger, value.isFinite, value < secondsBelow { return milliseconds(value * 1000) }
        return milliseconds(value)
    }

    /// 10^11: as seconds the year 5138, as milliseconds 1973-03-03. A number with a fraction
    /// below it would, as milliseconds, fall within three years of 1970.
    public static let secondsBelow: Double = 100_000_000_000

    /// Epoch milliseconds given as a number, a fraction rounded to the nearest millisecond (half
    /// away from zero); nil when not finite or beyond Int64.
    public static func milliseconds(_ value: Double) -> Int64? {
        guard value.isFinite else { return nil }
        return Int64(exactly: value.rounded(.toNearestOrAwayFromZero))
    }

    /// Parses `2026-11-26T03:00:00.250Z` or `...+01:00` into epoch milliseconds. A fraction finer
    /// than a millisecond is rounded to the nearest one (half up, carrying into the next second).
    /// Second 60 (a leap second) is refused: epoch milliseconds cannot name it, and clamping it
    /// would put the reading before ones measured in the second it repeats. Returns nil for
    /// anything else.
    public static func parseRFC3339<C: Collection<UInt8>>(_ text: C) -> Int64? where C.Index == Int {
        let b = Array(text)
        func digits(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= b.count else { return nil }
            var v = 0
            for i in at..<(at + n) {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard b.count >= 20,
            let year = digits(0, 4), b[4] == UInt8(ascii: "-"),
            let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
            let day = digits(8, 2),
            b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
            let hour = digits(11, 2), b[13] == UInt8(ascii: ":"),
            let minute = digits(14, 2), b[16] == UInt8(ascii: ":"),
            let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var i = 19
        var millis = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var n = 0
            var roundUp = false
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if n < 3 { millis = millis * 10 + Int(b[i] - 0x30) }
                if n == 3 { roundUp = b[i] >= 0x35 }
                n += 1
                i += 1
            }
            guard n > 0 else { return nil }
            for _ in n..<max(n, 3) { millis *= 10 }
            if roundUp { millis += 1 }
        }
        guard i < b.count else { return nil }
        var offsetMinutes = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = digits(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"),
                let om = digits(i + 4, 2), oh < 24, om < 60
            else { return nil }
            offsetMinutes = (oh * 60 + om) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        return seconds * 1000 + Int64(millis)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
