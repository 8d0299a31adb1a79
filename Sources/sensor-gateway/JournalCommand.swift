import ArgumentParser
import Foundation
import Gateway
import Journal

/// `sensor-gateway journal verify`.
struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "journal", abstract: "Inspect the journal.", subcommands: [Verify.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every record; exit 0 when clean, 1 when corruption is found, 66 when there is no journal to read.")

        @Option(name: .customLong("data-dir"), help: "The gateway's data directory.") var dataDir: String

        func run() throws {
            let v: JournalVerification
            do {
                v = try JournalVerification.run(directory: "\(dataDir)/journal")
            } catch {
                throw Diagnostics.failure("cannot read the journal in \(dataDir)/journal: \(error)", status: .noInput)
            }
            print(v.summary)
            if let note = JournalDamageHistory.earlierDamageNote(dataDirectory: dataDir) { print("note: \(note)") }
            if v.corrupt { throw ExitCode(ExitStatus.corruptionFound.rawValue) }
        }
    }
}
