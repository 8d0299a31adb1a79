import ArgumentParser
import Foundation
import Gateway
import Recovery
import Wire

extension ExportFormat: ExpressibleByArgument {}

/// `sensor-gateway export`: the cleaned stream of a window from the journal, restatements
/// applied, as CSV, JSON lines or InfluxDB line protocol (docs/INTERFACE.md, "Export").
/// Read-only: it runs beside a gateway using the same data folder.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write the cleaned readings with from <= ts < to, restatements applied, as csv, jsonl or influx.")

    @Option(name: .customLong("data-dir"), help: "The gateway's data directory.") var dataDir: String
    @Option(help: "Start, epoch ms or RFC 3339 (inclusive).") var from: String
    @Option(help: "End, epoch ms or RFC 3339 (exclusive).") var to: String
    @Option(help: "Only this sensor (default: all).") var sensor: String?
    @Option(help: "Only this measurement: temperature, or one of measurement.<name> in the config (default: all).") var measurement: String?
    @Option(help: "The form: a CSV table with a header, JSON lines as on cleaned/ with the measurement added, or InfluxDB line protocol.")
    var format: ExportFormat
    @Option(help: "Write to this file (replaced atomically when complete) instead of standard output.") var output: String?

    func validate() throws {
        _ = try WindowArguments.validated(from: from, to: to, sensor: sensor)
        if let measurement, measurement != Topics.defaultMeasurement, !MeasurementDefinition.isValidName(measurement) {
            throw ValidationError(
                "--measurement=\(measurement): not a measurement name (temperature, or 1-32 characters of a-z 0-9 _ - as in measurement.<name> lines)")
        }
    }

    func run() throws {
        let (start, end) = try WindowArguments.validated(from: from, to: to, sensor: sensor)
        let query = ExportQuery(sensorID: sensor, measurement: measurement, from: start, to: end)
        let out: ExportOutput
        do {
            out = try output.map { try ExportOutput(path: $0) } ?? ExportOutput()
        } catch let failure as ExportOutput.Failure {
            throw Diagnostics.failure(failure.description, code: 73)
        }
        var progress = ExportProgress()
        let result: ReplayQuery.Result
        do {
            try out.write(format.header)
            var line: [UInt8] = []
            result = try query.run(journalDirectory: "\(dataDir)/journal", progress: { progress.update($0) }) { row in
                line.removeAll(keepingCapacity: true)
                format.append(row, to: &line)
                try out.write(line)
            }
            try out.commit()
        } catch let failure as ExportOutput.Failure {
            progress.finish()
            out.abandon()
            throw Diagnostics.failure(failure.description, code: failure.cannotCreate ? 73 : 74)
        } catch {
            progress.finish()
            out.abandon()
            throw Diagnostics.failure("cannot read the journal in \(dataDir)/journal: \(error)", status: .noInput)
        }
        progress.finish()
        JournalReadNotes.write(result, dataDirectory: dataDir)
        if let measurement, result.count == 0, !result.truncated {
            // A name the gateway never had (a typo) reads as an empty window: say so (not when
            // the ring or damage took the window: the note above says why it is empty).
            FileHandle.standardError.write(
                Data(
                    "note: no cleaned readings of measurement \(measurement)\(sensor.map { " from sensor \($0)" } ?? "") in the window; check the name against the gateway's measurement.<name> lines (temperature is the default)\n"
                        .utf8))
        }
    }
}
