import Wire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns a payload into a `Reading` or the contract's reason for rejecting it.
/// Never traps, whatever the bytes.
public enum ReadingParser {
    /// The largest seq the contract allows (2^53 - 1, the largest integer a JSON double holds exactly).
    public static let maxSeq: UInt64 = (1 << 53) - 1
    /// Timestamps end before the year 10000 (epoch ms), whether numeric or RFC 3339.
    public static let timestampLimit: Int64 = 253_402_300_800_000

    private static let kSensorID = Array("sensor_id".utf8)
    private static let kSeq = Array("seq".utf8)
    private static let kTs = Array("ts".utf8)
    private static let kTemperature = Array("temperature".utf8)
    /// The measurement's value under its generic name (CONTRACT.md section 10), read when
    /// `temperature` is absent; beside `temperature` it is an unknown field, ignored.
    private static let kValue = Array("value".utf8)
    private static let kStatus = Array("status".utf8)
    private static let kBoot = Array("boot".utf8)
    /// The names of the fields the contract defines (the keys above, as text).
    static let contractFields = Set([kSensorID, kSeq, kTs, kTemperature, kStatus, kBoot].map { String(decoding: $0, as: UTF8.self) })

    private static func isKey(_ key: UnsafeBufferPointer<UInt8>, _ k: [UInt8]) -> Bool {
        k.withUnsafeBufferPointer { memcmp($0.baseAddress!, key.baseAddress!, k.count) == 0 }
    }

    /// Sets `bit` in `seen`; true when it was already set (the field came twice).
    @inline(__always)
    static func mark(_ seen: inout UInt8, _ bit: UInt8) -> Bool {
        defer { seen |= bit }
        return seen & bit != 0
    }

    /// Parses a payload whose topic named `sensorID` (already validated), after a UTF-8
    /// byte-order mark if it has one: JSON when its first byte other than a space, tab, CR or LF
    /// is `{`, otherwise one CSV line whose columns come
    /// in `csvColumns`' order (nil: the contract's `seq,ts,value,status,boot`). `field` names the
    /// JSON member holding the value besides `value` (a `MeasurementDefinition`'s name; nil:
    /// `temperature`); `names` gives fields other names a firmware uses.
    public static func parse(
        _ payload: UnsafeBufferPointer<UInt8>, sensorID: String, csvColumns: CSVColumns? = nil, field: String? = nil, names: JSONFieldNames? = nil
    ) -> Result<Reading, RejectionReason> {
        // A UTF-8 byte-order mark (a Windows tool's) is no part of the reading: a JSON object
        // behind one was read as a CSV line and refused `malformed_csv:seq` (91st review).
        if payload.count >= 3, payload[0] == 0xEF, payload[1] == 0xBB, payload[2] == 0xBF {
            return parse(UnsafeBufferPointer(rebasing: payload[3...]), sensorID: sensorID, csvColumns: csvColumns, field: field, names: names)
        }
        guard isJSONObject(payload) else { return CSVReadingParser.parse(payload, sensorID: sensorID, columns: csvColumns ?? .standard) }
        // Two copies of the parser: one that reads only the contract's names, as fast as before
        // other names existed, and one that also reads a firmware's.
        if let names { return parseJSON(payload, sensorID: sensorID, field: field, names: names) }
        return parseJSON(payload, sensorID: sensorID, field: field, names: ContractNamesOnly())
    }

    /// Whether `key`, a member's name written with escapes, decodes to a name this parse reads:
    /// a contract field's, `value`, the measurement's own (`field`) or another name in `names`.
    /// Apart from `parseJSON` (and never inlined there): escaped names are rare, and the parser's
    /// own loop stays small enough to be compiled as one piece.
    @inline(never)
    private static func escapedNameIsRead<Names: MemberNames>(_ key: UnsafeBufferPointer<UInt8>, field: String?, names: Names) -> Bool {
        guard let name = JSONScanner.decodeString(key, hasEscapes: true) else { return false }
        return contractFields.contains(name) || name == "value" || name == field || names.names(name)
    }

    /// Whether the payload's first byte other than JSON whitespace is `{` (the detection rule).
    @inline(__always)
    static func isJSONObject(_ payload: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in payload {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            default: return byte == UInt8(ascii: "{")
            }
        }
        return false
    }

    /// Parses a JSON payload (one flat object; docs/INTERFACE.md section 1).
    private static func parseJSON<Names: MemberNames>(
        _ payload: UnsafeBufferPointer<UInt8>, sensorID: String, field: String?, names: Names
    ) -> Result<Reading, RejectionReason> {
        let valueName = field ?? "temperature"
        // JSON text is UTF-8 (RFC 8259): invalid bytes anywhere, even in a field nobody reads,
        // make the payload malformed rather than half-understood.
        guard isValidUTF8(payload) else { return .failure(.malformedJSON) }
        var seq: UInt64?
        var ts: Int64?
        var temperature: Double?
        var genericValue: Result<Double, RejectionReason>?
        var genericValueTwice = false
        var status: Reading.Status?
        var boot: Int64?
        var failure: RejectionReason?
        var payloadSensor: UnsafeBufferPointer<UInt8>?
        var payloadSensorEscaped = false
        // Known fields seen, one bit each: a second occurrence makes the payload ambiguous
        // (parsers disagree on which wins), so it is malformed.
        var seen: UInt8 = 0
        var duplicate = false

        var scanner = JSONScanner(payload)
        do {
            while let (key, value) = try scanner.nextMember() {
                // A contract field's name written with escapes (`"s\u0065q"`) is ambiguous as a
                // field given twice is: parsers downstream decode it, and this one matches raw
                // bytes. Refused the same way (malformed_json) rather than read as another field.
                // The same for the value's generic name, the measurement's own and a firmware's
                // other names (found black-box: `h\u0075midity` beside `humidity` was ignored).
                if scanner.lastKeyHadEscapes, escapedNameIsRead(key, field: field, names: names) { duplicate = true }
                // The first problem found is the one reported; later members are still checked
                // for syntax, so malformed JSON always wins over a bad field.
                let problem: RejectionReason?
                switch key.count {
                case 3 where isKey(key, kSeq):
                    duplicate = mark(&seen, 1) || duplicate
                    if case .number(let n) = value {
                        seq = Self.seq(n)
                        problem = seq == nil ? .badValue("seq") : nil
                    } else {
                        problem = .badType("seq")
                    }
                case 2 where isKey(key, kTs):
                    duplicate = mark(&seen, 2) || duplicate
                    switch value {
                    case .number(let n):
                        ts = timestamp(n)
                        problem = ts == nil ? .badValue("ts") : nil
                    case .string(let raw, _):
                        ts = timestamp(text: raw)
                        problem = ts == nil ? .badValue("ts") : nil
                    default:
                        problem = .badType("ts")
                    }
                case 11 where field == nil && isKey(key, kTemperature):
                    duplicate = mark(&seen, 4) || duplicate
                    if case .number(let n) = value {
                        if n.value.isFinite { temperature = n.value; problem = nil } else { problem = .badValue("temperature") }
                    } else {
                        problem = .badType("temperature")
                    }
                case 5 where isKey(key, kValue):
                    // Used, and so checked, only if `temperature` turns out absent (after the loop).
                    genericValueTwice = genericValueTwice || genericValue != nil
                    if case .number(let n) = value {
                        genericValue = n.value.isFinite ? .success(n.value) : .failure(.badValue("value"))
                    } else {
                        genericValue = .failure(.badType("value"))
                    }
                    problem = nil
                case 6 where isKey(key, kStatus):
                    duplicate = mark(&seen, 8) || duplicate
                    if case .string(let raw, _) = value {
                        status = Self.status(raw)
                        problem = status == nil ? .badValue("status") : nil
                    } else {
                        problem = .badType("status")
                    }
                case 4 where isKey(key, kBoot):
                    duplicate = mark(&seen, 16) || duplicate
                    if case .number(let n) = value {
                        boot = Self.boot(n)
                        problem = boot == nil ? .badValue("boot") : nil
                    } else {
                        problem = .badType("boot")
                    }
                case 9 where isKey(key, kSensorID):
                    duplicate = mark(&seen, 32) || duplicate
                    if case .string(let raw, let escaped) = value {
                        payloadSensor = raw
                        payloadSensorEscaped = escaped
                        problem = nil
                    } else {
                        problem = .badType("sensor_id")
                    }
                default:
                    // Another measurement's value, under its name (`field`).
                    // Compared in place: no copy of the name per message.
                    if let field, key.count == field.utf8.count, key.elementsEqual(field.utf8) {
                        duplicate = mark(&seen, 4) || duplicate
                        if case .number(let n) = value {
                            if n.value.isFinite { temperature = n.value; problem = nil } else { problem = .badValue(field) }
                        } else {
                            problem = .badType(field)
                        }
                    } else if let alias = names.field(named: key) {
                        // A field under another name its firmware gives it: read by the same
                        // rules, out of the way of the contract's names.
                        var fields = AliasedFields(seq: seq, ts: ts, value: temperature, status: status, boot: boot, sensor: payloadSensor)
                        problem = fields.read(alias, value, valueName: valueName, seen: &seen, duplicate: &duplicate)
                        (seq, ts, temperature, status, boot) = (fields.seq, fields.ts, fields.value, fields.status, fields.boot)
                        if alias == .sensorID { (payloadSensor, payloadSensorEscaped) = (fields.sensor, fields.sensorEscaped) }
                    } else {
                        problem = nil
                    }
                }
                if failure == nil { failure = problem }
            }
        } catch {
            return .failure(.malformedJSON)
        }
        let usesGenericValue = seen & 4 == 0 && genericValue != nil
        if duplicate || (usesGenericValue && genericValueTwice) { return .failure(.malformedJSON) }
        if let failure { return .failure(failure) }
        if usesGenericValue, let genericValue {
            switch genericValue {
            case .success(let v): temperature = v
            case .failure(let problem): return .failure(problem)
            }
        }
        if let raw = payloadSensor {
            let matches =
                payloadSensorEscaped
                ? JSONScanner.decodeString(raw, hasEscapes: true) == sensorID
                : raw.elementsEqual(sensorID.utf8)
            if !matches { return .failure(.sensorIDMismatch) }
        }
        guard let seq else { return .failure(.missingField("seq")) }
        guard let ts else { return .failure(.missingField("ts")) }
        guard let temperature else { return .failure(.missingField(valueName)) }
        guard let status else { return .failure(.missingField("status")) }
        return .success(Reading(sensorID: sensorID, seq: seq, ts: ts, temperature: temperature, status: status, boot: boot))
    }

    /// Whether `bytes` is valid UTF-8. Readings are ASCII: eight bytes at a time are checked
    /// for a high bit, and only a payload that has one is validated in full.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= bytes.count {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            i += 8
        }
        while i < bytes.count, bytes[i] < 0x80 { i += 1 }
        return i == bytes.count || String(validating: bytes, as: UTF8.self) != nil
    }
}
