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
}
