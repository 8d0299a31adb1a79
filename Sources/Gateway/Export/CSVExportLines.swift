import Recovery

/// The CSV form of an export (RFC 4180): a header line, then one row per message with the same
/// columns whatever its quality; a column the message does not have is empty.
///
/// `value` is the reading under the measurement's name (`temperature`); a `gap` row has none and
/// spans `from_seq`..`to_seq` (its `seq` and `ts` are `from_seq` and `from_ts`, as on `cleaned/`).
enum CSVExportLines {
    static let columns = [
        "sensor_id", "measurement", "boot", "seq", "ts", "value", "unit", "status", "quality", "method", "raw", "reason",
        "supersedes", "from_seq", "to_seq", "from_ts", "to_ts",
    ]

    static let header = Array((columns.joined(separator: ",") + "\n").utf8)

    static func append(_ row: ExportRow, to out: inout [UInt8]) {
        field(row.sensorID, to: &out)
        out.append(UInt8(ascii: ","))
        field(row.measurement, to: &out)
        out.append(UInt8(ascii: ","))
        field(row.boot ?? "", to: &out)
        out.append(UInt8(ascii: ","))
        out += String(row.seq).utf8
        out.append(UInt8(ascii: ","))
        out += String(row.ts).utf8
        for value in [row.reading] + columns[6...].map({ key in key == "quality" ? .text(row.quality) : row.value(key) }) {
            out.append(UInt8(ascii: ","))
            field(text(value), to: &out)
        }
        out.append(0x0A)
    }

    private static func text(_ value: CleanedMemberValue?) -> String {
        switch value {
        case .text(let s): s
        case .number(let n, _): n
        case .bool(let b): b ? "true" : "false"
        case .other, nil: ""
        }
    }

    /// A field, quoted when it holds a comma, a quote or a line break.
    private static func field(_ s: String, to out: inout [UInt8]) {
        guard s.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) else {
            out += s.utf8
            return
        }
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            if c == UInt8(ascii: "\"") { out.append(c) }
            out.append(c)
        }
        out.append(UInt8(ascii: "\""))
    }
}
