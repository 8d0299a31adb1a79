/// Durations and sizes as operators write them (`500ms`, `10s`, `2m`, `1h`, `1d`; `64KiB`,
/// `256MB`, `1.5GiB`), for every duration and size setting, whether it comes from the config
/// file, the environment or a flag. A plain number keeps the setting's own unit (milliseconds
/// for `*-ms`, seconds for `*-s`, bytes for sizes), so existing files mean what they meant.
enum SettingUnits {
    /// Milliseconds per duration unit; matched exactly (lower case, as Go, Telegraf and systemd write them).
    static let durationUnits: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// Bytes per size unit, matched without regard to case. The bare letters keep the meaning
    /// they had before (`256M` is 256 MiB); `KB`/`MB`/`GB`/`TB` are the SI (decimal) units and
    /// `KiB`/`MiB`/`GiB`/`TiB` the binary ones, as their names say.
    static let sizeUnits: [(suffix: String, bytes: Int64)] = [
        ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40),
        ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
        ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("t", 1 << 40), ("b", 1),
    ]

    /// A duration in milliseconds. A plain whole number is in `plainUnit` milliseconds (1 for a
    /// `*-ms` setting, 1000 for a `*-s` one); a number with a unit may have decimals
    /// (`1.5s`), but must come to whole milliseconds. nil when it is neither.
    static func milliseconds(_ text: String, plainUnit: Int64) -> Int64? {
        let unit = durationUnits.filter { text.hasSuffix($0.suffix) }.max { $0.suffix.count < $1.suffix.count }
        guard let unit else {
            guard let n = Int64(text), n >= 0 else { return nil }
            let (v, overflow) = n.multipliedReportingOverflow(by: plainUnit)
            return overflow ? nil : v
        }
        guard let (whole, fraction) = decimal(text.dropLast(unit.suffix.count)) else { return nil }
        return scaled(whole, fraction, by: unit.milliseconds, exact: true)
    }

    /// Whether `text` is a well-formed duration (`milliseconds` would read it) that comes to a
    /// fraction of a millisecond (`1.5ms`, `0.0001s`): worth its own error.
    static func isFractionOfMillisecond(_ text: String, plainUnit: Int64) -> Bool {
        guard let unit = durationUnits.filter({ text.hasSuffix($0.suffix) }).max(by: { $0.suffix.count < $1.suffix.count }),
            let (whole, fraction) = decimal(text.dropLast(unit.suffix.count))
        else { return false }
        return scaled(whole, fraction, by: unit.milliseconds, exact: true) == nil && scaled(whole, fraction, by: unit.milliseconds, exact: false) != nil
    }

    /// A size in bytes: a plain whole number of bytes, or a number (decimals allowed) with a
    /// unit; a fraction of a byte is dropped. nil when it is neither.
    static func bytes(_ text: String) -> Int64? {
        let lower = text.lowercased()
        guard let unit = sizeUnits.first(where: { lower.hasSuffix($0.suffix) }) else {
            guard let n = Int64(text), n >= 0 else { return nil }
            return n
        }
        guard let (whole, fraction) = decimal(Substring(lower.dropLast(unit.suffix.count))) else { return nil }
        return scaled(whole, fraction, by: unit.bytes, exact: false)
    }

    /// `digits[.digits]`, nothing else (no sign, no spaces, no exponent).
    private static func decimal(_ text: Substring) -> (whole: Int64, fraction: Substring)? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, !first.isEmpty, first.allSatisfy(\.isASCIIDigitCharacter), let whole = Int64(first) else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard parts.count == 1 || (!fraction.isEmpty && fraction.allSatisfy(\.isASCIIDigitCharacter)) else { return nil }
        return (whole, fraction)
    }

    /// `whole.fraction × scale`, in integers; nil on overflow, or (when `exact`) when the
    /// result is not whole.
    private static func scaled(_ whole: Int64, _ fraction: Substring, by scale: Int64, exact: Bool) -> Int64? {
        let (base, overflow) = whole.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        let digits = fraction.prefix(18)
        guard exact ? digits.count == fraction.count : true, let f = Int64(digits.isEmpty ? "0" : String(digits)) else { return nil }
        var denominator: Int64 = 1
        for _ in 0..<digits.count { denominator *= 10 }
        // f < denominator <= 1e18, scale <= 2^40: multiply in 128 bits.
        let product = f.multipliedFullWidth(by: scale)
        let (part, remainder) = denominator.dividingFullWidth(product)
        guard !exact || remainder == 0 else { return nil }
        let (sum, overflowed) = base.addingReportingOverflow(part)
        return overflowed ? nil : sum
    }

    /// A duration for `config show`: whole seconds as a plain number when the setting's plain
    /// unit is seconds, otherwise with `ms`.
    static func showSeconds(_ milliseconds: Int64) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000)" : "\(milliseconds)ms"
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isWholeNumber }
}
