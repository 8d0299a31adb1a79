/// Reads one header-less CSV line, `seq,ts,value[,status[,boot]]` in the configured column
/// order, into a `Reading` or the contract's reason for refusing it (docs/INTERFACE.md section 10).
///
/// Old firmware sends this compact form on the same topics as JSON. Values follow JSON's rules
/// (numbers in JSON's grammar, `ts` as epoch milliseconds or RFC 3339, the same ranges), so a
/// value refused in one form is refused in the other with the same `bad_value:<column>`. A line
/// that does not parse is `malformed_csv:<column>`, naming the column where it failed: a
/// required column missing or empty, a number column that holds no number, a quote, a control
/// byte (a NUL, a second line) or a byte beyond ASCII; a column beyond the configured ones is
/// `malformed_csv:extra`. A malformed column wins over a bad value anywhere in the line.
///
/// On the hot path beside JSON: one pass over borrowed bytes, nothing allocated.
enum CSVReadingParser {
    private static let comma = UInt8(ascii: ",")

    /// Parses one line whose topic named `sensorID` (already validated), its columns in `columns`' order.
    static func parse(_ payload: UnsafeBufferPointer<UInt8>, sensorID: String, columns: CSVColumns) -> Result<Reading, RejectionReason> {
        let end = lineEnd(payload)
        var fields = Fields()
        var badValue: RejectionReason?
        var column = 0
        var start = 0
        while true {
            var stop = start
            // One pass finds the column's end and whether it holds anything but printable ASCII
            // other than a quote (a tab is looked at again below: it may only surround the value).
            var unusual = false
            while stop < end {
                let byte = payload[stop]
                if byte == comma { break }
                unusual = unusual || byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "\"")
                stop += 1
            }
            guard column < columns.count else { return .failure(.malformedCSV("extra")) }
            let name = columns.column(at: column)
            let field = trimmed(payload, start..<stop)
            guard !unusual || isPlain(field) else { return .failure(.malformedCSV(name.rawValue)) }
            if field.isEmpty {
                if name.isRequired { return .failure(.malformedCSV(name.rawValue)) }
            } else {
                switch fields.read(name, field) {
                case .ok: break
                case .malformed: return .failure(.malformedCSV(name.rawValue))
                case .badValue: badValue = badValue ?? .badValue(name.rawValue)
                }
            }
            column += 1
            if stop == end { break }
            start = stop + 1
        }
        if column < columns.requiredCount, let missing = columns.order[column...].first(where: \.isRequired) {
            return .failure(.malformedCSV(missing.rawValue))
        }
        if let badValue { return .failure(badValue) }
        // Every required column was read above (requiredCount covers them all); the guard only
        // keeps the compiler's proof.
        guard let seq = fields.seq, let ts = fields.ts, let value = fields.value else { return .failure(.malformedCSV("seq")) }
        return .success(Reading(sensorID: sensorID, seq: seq, ts: ts, temperature: value, status: fields.status ?? .normal, boot: fields.boot))
    }

    /// The values read so far.
    private struct Fields {
        enum Outcome { case ok, malformed, badValue }

        var seq: UInt64?
        var ts: Int64?
        var value: Double?
        var status: Reading.Status?
        var boot: Int64?

        /// Reads a non-empty `field` as `column`.
        @inline(__always)
        mutating func read(_ column: CSVColumns.Column, _ field: UnsafeBufferPointer<UInt8>) -> Outcome {
            switch column {
            case .seq:
                guard let n = JSONScanner.number(field) else { return .malformed }
                seq = ReadingParser.seq(n)
                return seq == nil ? .badValue : .ok
            case .ts:
                // A number is epoch milliseconds; anything else is taken as RFC 3339 text, and
                // refused as JSON refuses a `ts` string that is no timestamp. Text shaped like
                // RFC 3339 (`2026-...`) skips the number scan, whose refusal would cost a thrown error.
                if field.count >= 20, field[4] == UInt8(ascii: "-") {
                    ts = ReadingParser.timestamp(text: field)
                } else {
                    ts = JSONScanner.number(field).map(ReadingParser.timestamp) ?? ReadingParser.timestamp(text: field)
                }
                return ts == nil ? .badValue : .ok
            case .value:
                guard let n = JSONScanner.number(field) else { return .malformed }
                value = n.value.isFinite ? n.value : nil
                return value == nil ? .badValue : .ok
            case .status:
                status = ReadingParser.status(field)
                return status == nil ? .badValue : .ok
            case .boot:
                guard let n = JSONScanner.number(field) else { return .malformed }
                boot = ReadingParser.boot(n)
                return boot == nil ? .badValue : .ok
            }
        }
    }

    /// Where the line's content ends: trailing spaces and tabs, then one `\n` or `\r\n`, are not part of it.
    @inline(__always)
    private static func lineEnd(_ payload: UnsafeBufferPointer<UInt8>) -> Int {
        var end = payload.count
        while end > 0, isBlank(payload[end - 1]) { end -= 1 }
        if end > 0, payload[end - 1] == 0x0A {
            end -= 1
            if end > 0, payload[end - 1] == 0x0D { end -= 1 }
        }
        return end
    }

    @inline(__always)
    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// `range` of `payload` without the spaces and tabs around it.
    @inline(__always)
    private static func trimmed(_ payload: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        var (lower, upper) = (range.lowerBound, range.upperBound)
        while lower < upper, isBlank(payload[lower]) { lower += 1 }
        while upper > lower, isBlank(payload[upper - 1]) { upper -= 1 }
        return UnsafeBufferPointer(rebasing: payload[lower..<upper])
    }

    /// Printable ASCII other than a quote (spaces inside a field are left to the column's rules).
    @inline(__always)
    private static func isPlain(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in field where byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "\"") { return false }
        return true
    }
}
