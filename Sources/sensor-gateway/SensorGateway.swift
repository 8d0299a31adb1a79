import ArgumentParser
import Foundation
import Gateway

@main
struct SensorGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensor-gateway",
        abstract: "Cleans MQTT temperature readings: journals, reorders, fills gaps, flags quality, republishes on cleaned/.",
        version: GatewayVersion.current,
        subcommands: [RunCommand.self, ReplayCommand.self, ExportCommand.self, JournalCommand.self, ConfigCommand.self]
    )

    /// Without a subcommand: the help on standard error and exit 64 (`EX_USAGE`), so a unit or a
    /// wrapper whose command line lost its arguments fails instead of "succeeding" without running
    /// anything (found black-box, 87th review: under libfaketime preloaded by hand, without the
    /// `faketime` command, the process received no arguments, and `run` printed the help and
    /// exited 0). `--help` still prints it on standard output and exits 0.
    mutating func run() async throws {
        FileHandle.standardError.write(Data((Self.helpMessage() + "\nerror: no command given (run, replay, export, journal or config)\n").utf8))
        throw ExitCode(64)
    }
}
