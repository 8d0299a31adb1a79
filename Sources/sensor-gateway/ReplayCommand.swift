import ArgumentParser
import Foundation
import Gateway
import Recovery
import Wire

/// `sensor-gateway replay`: past cleaned readings from a journal, as JSON lines on stdout.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replay", abstract: "Write cleaned readings with from <= ts < to as JSON lines.")

    @Option(name: .customLong("data-dir"), help: "The gateway's data directory.") var dataDir: String
    @Option(help: "Only this sensor (default: all).") var sensor: String?
    @Option(help: "Start, epoch ms or RFC 3339 (inclusive).") var from: String
    @Option(help: "End, epoch ms or RFC 3339 (exclusive).") var to: String

    /// Bad arguments are reported here, before `run`, so the usage printed with them is
    /// `replay`'s (found black-box, 67th review: the top level's).
    func validate() throws {
        _ = try WindowArguments.validated(from: from, to: to, sensor: sensor)
    }

    func run() throws {
        let (start, end) = try WindowArguments.validated(from: from, to: to, sensor: sensor)
        // Buffered writes that throw (a full disk, a closed pipe) rather than trap, as `export`'s
        // (found black-box: `replay > /dev/full` crashed with a backtrace, exit 132).
        let out = ExportOutput()
        let result: ReplayQuery.Result
        do {
            var line: [UInt8] = []
            result = try ReplayQuery(sensorID: sensor, from: start, to: end).run(journalDirectory: "\(dataDir)/journal") { p in
                line.removeAll(keepingCapacity: true)
                line += p.payload
                line.append(0x0A)
                try out.write(line)
            }
            try out.commit()
        } catch let failure as ExportOutput.Failure {
            throw Diagnostics.failure(failure.description, code: 74)
        } catch {
            throw Diagnostics.failure("cannot read the journal in \(dataDir)/journal: \(error)", status: .noInput)
        }
        JournalReadNotes.write(result, dataDirectory: dataDir)
        if result.count == 0 {
            // Said, so an empty output is not taken for a failure or for a sensor's silence
            // where its id was misspelt (found black-box, 67th review: exit 0 and nothing).
            FileHandle.standardError.write(
                Data("note: no cleaned readings\(sensor.map { " of sensor \($0)" } ?? "") with \(start) <= ts < \(end) in this journal\n".utf8))
        }
    }
}
