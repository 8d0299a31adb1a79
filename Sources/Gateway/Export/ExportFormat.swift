/// The forms `sensor-gateway export` writes (docs/INTERFACE.md, "Export").
public enum ExportFormat: String, CaseIterable, Sendable {
    /// A header line, then one row per message (`CSVExportLines`).
    case csv
    /// The cleaned payload per line, as on `cleaned/`, with the measurement added (`JSONExportLines`).
    case jsonl
    /// InfluxDB line protocol (`InfluxExportLines`).
    case influx

    /// What comes before the first row (CSV's header line), if anything.
    public var header: [UInt8] {
        switch self {
        case .csv: CSVExportLines.header
        case .jsonl, .influx: []
        }
    }

    /// Appends `row`'s line (with its newline) to `out`.
    public func append(_ row: ExportRow, to out: inout [UInt8]) {
        switch self {
        case .csv: CSVExportLines.append(row, to: &out)
        case .jsonl: JSONExportLines.append(row, to: &out)
        case .influx: InfluxExportLines.append(row, to: &out)
        }
    }
}
