import Testing
import TestSupport

/// The command line without a command: a unit or wrapper that lost its arguments must fail, not
/// "succeed" without running the gateway (found black-box, 87th review).
@Suite("Command line without a command")
struct CommandLineUsageTests {
    @Test("no command: the help and exit 64 (EX_USAGE); --help: the help and exit 0; --version: the version and exit 0")
    func noCommandIsAUsageError() async throws {
        let dir = try TemporaryDirectory()
        let (bare, bareOutput) = try await GatewayProcess.runTool([], logPath: dir.file("bare.log"))
        #expect(bare == 64, "\(bareOutput)")
        #expect(bareOutput.contains("SUBCOMMANDS:") && bareOutput.contains("error: no command given"), "\(bareOutput)")
        let (help, helpOutput) = try await GatewayProcess.runTool(["--help"], logPath: dir.file("help.log"))
        #expect(help == 0 && helpOutput.contains("SUBCOMMANDS:"), "\(helpOutput)")
        let (version, versionOutput) = try await GatewayProcess.runTool(["--version"], logPath: dir.file("version.log"))
        #expect(version == 0 && versionOutput.contains("."), "\(versionOutput)")
    }

    /// Found black-box (89th review): `run --help` gave the client id's default as
    /// `sensor-gateway-<host name>`, while it is made from the gateway id, whatever that is.
    @Test("run --help: the gateway id defaults to the host name, the client id to sensor-gateway-<gateway-id>")
    func runHelpNamesDerivedDefaults() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (status, output) = try await GatewayProcess.runTool(["run", "--help"], logPath: dir.file("run-help.log"))
        #expect(status == 0, "\(output)")
        #expect(output.contains("--gateway-id <id>  (default <host name>)"), "\(output)")
        #expect(output.contains("--client-id <id>  (default sensor-gateway-<gateway-id>)"), "\(output)")
    }
}
