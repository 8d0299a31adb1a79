import Recovery

/// The InfluxDB line-protocol form of an export.
///
/// A reading is a point in the measurement of its name (`temperature`), tagged `sensor_id` only,
/// at its `ts` (nanoseconds): the series key is (measurement, sensor_id) and the point's key adds
/// the time, so a point stands for one reading of one stream. Everything else is a field: the
/// value under the measurement's name, `quality`, `status`, `seq` and `boot` (integers), and
/// `method`, `reason`, `supersedes` (empty strings when the message has none, so that a point
/// written again replaces them rather than keeping the old ones; InfluxDB merges the fields of a
/// point written twice), `raw` when corrected, `unit` when the message has one.
///
/// **Decision**: `quality` is a field, not a tag. A tag is part of the series key, so a
/// `restated` point would go into another series than the `synthetic` one it replaces, and both
/// would stay; as a field, loading a later export over an earlier one overwrites the estimate
/// with the real value wherever the restated reading has the estimate's `ts` (estimates
/// interpolate the time between their neighbours, so a sensor with a steady period restates at
/// the same instant). `WHERE quality = 'synthetic'` still selects by it.
///
/// A `gap` has no value: it goes to a measurement of its own, `<measurement>_gap`, at its
/// `from_ts` (the reading before it, whose point it would otherwise overwrite), with
/// `from_seq`, `to_seq`, `from_ts`, `to_ts` as integer fields (and `reason` when the gap has one:
/// `journal_damaged`).
enum InfluxExportLines {
    static func append(_ row: ExportRow, to out: inout [UInt8]) {
        let isGap = row.quality == "gap"
        escapeName(isGap ? row.measurement + "_gap" : row.measurement, to: &out)
        out += ",sensor_id=".utf8
        escapeName(row.sensorID, to: &out)
        out.append(UInt8(ascii: " "))
        var first = true
        func add(_ key: String, _ body: (inout [UInt8]) -> Void) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            escapeName(key, to: &out)
            out.append(UInt8(ascii: "="))
            body(&out)
        }
        func number(_ key: String, _ value: CleanedMemberValue?, integer: Bool) {
            guard case .number(let n, let isInteger)? = value, !integer || isInteger else { return }
            add(key) { line in
                line += n.utf8
                if integer { line.append(UInt8(ascii: "i")) }
            }
        }
        func text(_ key: String, _ value: String) { add(key) { quote(value, to: &$0) } }
        func optionalText(_ key: String) {
            if case .text(let s)? = row.value(key) { text(key, s) } else if !isGap { text(key, "") }
        }
        if !isGap { number(row.measurement, row.reading, integer: false) }
        text("quality", row.quality)
        add("seq") { $0 += String(row.seq).utf8 + [UInt8(ascii: "i")] }
        number("boot", row.value("boot"), integer: true)
        if isGap {
            for key in ["from_seq", "to_seq", "from_ts", "to_ts"] { number(key, row.value(key), integer: true) }
            if case .text(let reason)? = row.value("reason") { text("reason", reason) }
        } else {
            optionalText("status")
            optionalText("method")
            optionalText("reason")
            optionalText("supersedes")
            number("raw", row.value("raw"), integer: false)
            if case .text(let unit)? = row.value("unit") { text("unit", unit) }
        }
        out.append(UInt8(ascii: " "))
        out += String(row.ts).utf8
        out += "000000\n".utf8
    }

    /// A measurement, tag key, tag value or field key: commas, equals signs and spaces escaped.
    private static func escapeName(_ s: String, to out: inout [UInt8]) {
        for c in s.utf8 {
            if c == UInt8(ascii: ",") || c == UInt8(ascii: "=") || c == UInt8(ascii: " ") || c == UInt8(ascii: "\\") {
                out.append(UInt8(ascii: "\\"))
            }
            out.append(c)
        }
    }

    /// A string field value: quotes and backslashes escaped.
    private static func quote(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(c)
        }
        out.append(UInt8(ascii: "\""))
    }
}
