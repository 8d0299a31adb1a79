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

    func run() throws {
        let (start, end) = try WindowArguments.validated(from: from, to: to, sensor: sensor)
        var buffer = Data()
        let result: ReplayQuery.Result
        do {
            result = try ReplayQuery(sensorID: sensor, from: start, to: end).run(journalDirectory: "\(dataDir)/journal") { p in
                buffer.append(contentsOf: p.payload)
                buffer.append(0x0A)
                if buffer.count > 1 << 16 {
                    FileHandle.standardOutput.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        } catch {
            throw Diagnostics.failure("cannot read the journal in \(dataDir)/journal: \(error)", status: .noInput)
        }
        FileHandle.standardOutput.write(buffer)
        JournalReadNotes.write(result, journalDirectory: "\(dataDir)/journal")
    }
}
