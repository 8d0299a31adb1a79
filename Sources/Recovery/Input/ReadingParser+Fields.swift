import Wire

/// The rules for each field's value, shared by the JSON and the CSV form so that a value is
/// accepted or refused (`bad_value:<name>`) the same way whichever form carries it.
extension ReadingParser {
    private static let vNormal = Array("normal".utf8)
    private static let vDeviated = Array("deviated".utf8)

    /// A seq: written as an integer, 0 ... 2^53-1.
    @inline(__always)
    static func seq(_ n: JSONNumber) -> UInt64? {
        guard n.isIntegerLiteral, let i = n.integer, i >= 0, UInt64(i) <= maxSeq else { return nil }
        return UInt64(i)
    }

    /// A numeric timestamp: epoch milliseconds (a fraction rounded), before the year 10000; or
    /// epoch seconds written with a fraction (`1795660041.25`), told apart by size
    /// (`Timestamp.milliseconds(number:writtenAsInteger:)`).
    @inline(__always)
    static func timestamp(_ n: JSONNumber) -> Int64? {
        guard n.value.isFinite, n.value >= 0, n.value < Double(timestampLimit) else { return nil }
        if n.isIntegerLiteral, let ms = n.integer { return ms }
        return Timestamp.milliseconds(number: n.value, writtenAsInteger: n.isIntegerLiteral)
    }

    /// A timestamp as text: RFC 3339 with an offset, held to the same limits as numbers.
    static func timestamp(text raw: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let t = Timestamp.parseRFC3339(raw), t >= 0, t < timestampLimit else { return nil }
        return t
    }

    /// A boot counter: written as an integer, not negative.
    @inline(__always)
    static func boot(_ n: JSONNumber) -> Int64? {
        guard n.isIntegerLiteral, let i = n.integer, i >= 0 else { return nil }
        return i
    }

    /// `normal` or `deviated`, exactly.
    @inline(__always)
    static func status(_ raw: UnsafeBufferPointer<UInt8>) -> Reading.Status? {
        if raw.elementsEqual(vNormal) { return .normal }
        if raw.elementsEqual(vDeviated) { return .deviated }
        return nil
    }
}
