import Wire

/// The JSON lines form of an export: each message exactly as published on `cleaned/`, with
/// `"measurement":"<name>"` added as its last member (unless it already has one), so that lines
/// of several measurements in one file still name their stream (sensor, measurement, boot).
enum JSONExportLines {
    static func append(_ row: ExportRow, to out: inout [UInt8]) {
        if row.value("measurement") != nil || row.payload.last != UInt8(ascii: "}") {
            out += row.payload
        } else {
            out += row.payload.dropLast()
            out += #","measurement":"#.utf8
            out += WireJSON.quoted(row.measurement).utf8
            out.append(UInt8(ascii: "}"))
        }
        out.append(0x0A)
    }
}
