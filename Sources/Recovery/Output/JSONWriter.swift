/// Builds compact JSON objects byte by byte, with keys in the order written, so output is
/// byte-identical for identical input (the contract's replay guarantee) and cheap to make.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int = 160) {
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    private mutating func key(_ k: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ k: StaticString, _ value: String) {
        key(k)
        JSONWriter.appendQuoted(value.utf8, to: &bytes)
    }

    /// For text known to need no escaping (validated sensor ids, fixed words).
    mutating func plainString(_ k: StaticString, _ value: String) {
        key(k)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: value.utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func int(_ k: StaticString, _ value: Int64) {
        key(k)
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(value.magnitude)
    }

    mutating func uint(_ k: StaticString, _ value: UInt64) {
        key(k)
        appendDigits(value)
    }

    private mutating func appendDigits(_ value: UInt64) {
        JSONWriter.appendDigits(value, to: &bytes)
    }

    /// Decimal digits without going through a String.
    static func appendDigits(_ value: UInt64, to bytes: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 20 digits, as bytes
        var n = value
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            repeat {
                buf[23 - count] = UInt8(truncatingIfNeeded: n % 10) + 0x30
                n /= 10
                count += 1
            } while n > 0
            bytes.append(contentsOf: buf[(24 - count)...])
        }
    }

    mutating func double(_ k: StaticString, _ value: Double) {
        key(k)
        JSONWriter.appendNumber(value, to: &bytes)
    }

    /// A number under a key known only at run time (a measurement's name: `a-z 0-9 _ -`, no escaping).
    mutating func double(named k: String, _ value: Double) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: k.utf8)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        JSONWriter.appendNumber(value, to: &bytes)
    }

    /// Appends `value` as `description` writes it. Readings and estimates have at most three
    /// decimals, so most values take a fast path that avoids the general shortest-digits search.
    static func appendNumber(_ value: Double, to bytes: inout [UInt8]) {
        if !appendShortDecimal(value, to: &bytes) { bytes.append(contentsOf: format(value).utf8) }
    }

    /// Writes values that are exactly the nearest double to a decimal with at most three
    /// fraction digits, for 0.1 <= |value| < 1e9: there the shortest text that reads back as
    /// `value` is that decimal (trailing zeros dropped, at least one fraction digit kept), which
    /// is what `description` prints. Returns false for anything else.
    static func appendShortDecimal(_ value: Double, to bytes: inout [UInt8]) -> Bool {
        let magnitude = abs(value)
        guard magnitude >= 0.1, magnitude < 1e9 else { return false }
        for (scale, digits) in [(100.0, 2), (1000.0, 3)] {
            let scaled = (magnitude * scale).rounded()
            guard scaled / scale == magnitude else { continue }
            let n = UInt64(scaled), unit = UInt64(scale)
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            appendDigits(n / unit, to: &bytes)
            bytes.append(UInt8(ascii: "."))
            var fraction = n % unit
            var width = digits
            while width > 1 && fraction % 10 == 0 {
                fraction /= 10
                width -= 1
            }
            var divisor: UInt64 = 1
            for _ in 1..<width { divisor *= 10 }
            for _ in 0..<width {
                bytes.append(UInt8(truncatingIfNeeded: fraction / divisor) + 0x30)
                fraction %= divisor
                divisor = max(divisor / 10, 1)
            }
            return true
        }
        return false
    }

    /// `"k":null`: a field the payload always names, with no value this time.
    mutating func null(_ k: StaticString) {
        key(k)
        bytes.append(contentsOf: "null".utf8)
    }

    mutating func bool(_ k: StaticString, _ value: Bool) {
        key(k)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// The shortest text that reads back as the same double; never NaN or infinity in our output.
    /// Negative zero is written `0.0`: it is the same value, and some consumers show `-0` (found
    /// black-box, 86th review: a CSV `-0.0` went out as `"humidity":-0.0`).
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        return value == 0 ? "0.0" : value.description
    }

    static func appendQuoted<S: Sequence<UInt8>>(_ text: S, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for c in text {
            switch c {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 15)]])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    mutating func rawString(_ k: StaticString, utf8 value: UnsafeBufferPointer<UInt8>) {
        key(k)
        // Most payloads need no escaping: copy them in one go.
        if !value.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) {
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: value)
            bytes.append(UInt8(ascii: "\""))
        } else {
            JSONWriter.appendQuoted(value, to: &bytes)
        }
    }
}
