/// A JSON reading's fields as read so far, for a member under another name its firmware gives a
/// field (`JSONFieldNames`). Kept apart from `ReadingParser.parseJSON`'s own reading of the
/// contract's names, so that a gateway without other names pays nothing for them.
struct AliasedFields {
    var seq: UInt64?
    var ts: Int64?
    var value: Double?
    var status: Reading.Status?
    var boot: Int64?
    var sensor: UnsafeBufferPointer<UInt8>?
    var sensorEscaped = false

    /// Reads `member` as the contract's field `field` by that field's rules (the same bit in
    /// `seen` as its contract name, so both names at once is a field given twice), and returns
    /// its problem, if any. `valueName` names the measurement's value in reasons.
    @inline(never)
    mutating func read(
        _ field: JSONFieldNames.Field, _ member: JSONScanner.Value, valueName: String, seen: inout UInt8, duplicate: inout Bool
    ) -> RejectionReason? {
        func mark(_ bit: UInt8) { duplicate = ReadingParser.mark(&seen, bit) || duplicate }
        switch field {
        case .seq:
            mark(1)
            guard case .number(let n) = member else { return .badType("seq") }
            seq = ReadingParser.seq(n)
            return seq == nil ? .badValue("seq") : nil
        case .ts:
            mark(2)
            switch member {
            case .number(let n): ts = ReadingParser.timestamp(n)
            case .string(let raw, _): ts = ReadingParser.timestamp(text: raw)
            default: return .badType("ts")
            }
            return ts == nil ? .badValue("ts") : nil
        case .value:
            mark(4)
            guard case .number(let n) = member else { return .badType(valueName) }
            guard n.value.isFinite else { return .badValue(valueName) }
            value = n.value
            return nil
        case .status:
            mark(8)
            guard case .string(let raw, _) = member else { return .badType("status") }
            status = ReadingParser.status(raw)
            return status == nil ? .badValue("status") : nil
        case .boot:
            mark(16)
            guard case .number(let n) = member else { return .badType("boot") }
            boot = ReadingParser.boot(n)
            return boot == nil ? .badValue("boot") : nil
        case .sensorID:
            mark(32)
            guard case .string(let raw, let escaped) = member else { return .badType("sensor_id") }
            (sensor, sensorEscaped) = (raw, escaped)
            return nil
        }
    }
}
