import Foundation
import Journal
import Testing
import TestSupport

/// `config check` says what `run` would (issue 28, found black-box): a data folder another
/// gateway holds is not "ok".
@Suite("config check on a data folder in use")
struct ConfigCheckLockTests {
    @Test("config check on a data folder whose journal another process holds reports the lock like run: same message, exit 73")
    func lockedDataFolder() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try "data-dir: \(dir.file("data"))\njournal-max-bytes: 1048576\n".write(toFile: dir.file("gateway.conf"), atomically: true, encoding: .utf8)
        let (free, freeOutput) = try await GatewayProcess.runTool(["config", "check", "--config", dir.file("gateway.conf")], logPath: dir.file("free.log"))
        #expect(free == 0, "\(freeOutput)")
        // The journal opened for writing, as a running gateway holds it.
        let layout = try JournalLayout(directory: dir.file("data/journal"), maxBytes: 1 << 20)
        let holder = try Journal(layout: layout, fsync: .never)
        let (code, output) = try await GatewayProcess.runTool(["config", "check", "--config", dir.file("gateway.conf")], logPath: dir.file("held.log"))
        #expect(code == 73, "\(output)")
        #expect(output.contains("another sensor-gateway is using \(dir.file("data"))"), "\(output)")
        #expect(!output.contains("ok:"), "\(output)")
        // What an operator checking an edit before a reload needs: the settings are valid.
        #expect(output.contains("The settings are valid (a reload, SIGHUP or systemctl reload, applies them"), "\(output)")
        // And which edits a reload does not apply (found black-box, 67th review: it said a reload
        // applies every setting).
        #expect(output.contains("except changes to ") && output.contains("journal-max-bytes") && output.contains("fsync"), "\(output)")
        // A file that is not valid is still refused as such (78), not reported as in use.
        try "data-dir: \(dir.file("data"))\nmax-fill: lots\n".write(toFile: dir.file("bad.conf"), atomically: true, encoding: .utf8)
        let (bad, badOutput) = try await GatewayProcess.runTool(["config", "check", "--config", dir.file("bad.conf")], logPath: dir.file("bad.log"))
        #expect(bad == 78, "\(badOutput)")
        // run stops the same way before its HTTP endpoint binds (found black-box, 85th review:
        // it logged listening on its port first).
        let (run, runOutput) = try await GatewayProcess.runTool(
            [
                "run", "--config", dir.file("gateway.conf"), "--broker", "mqtt://127.0.0.1:\(LoopbackNetwork.freePort())", "--http",
                "127.0.0.1:\(LoopbackNetwork.freePort())",
            ], logPath: dir.file("run.log"))
        #expect(run == 73, "\(runOutput)")
        #expect(runOutput.contains("another sensor-gateway is using \(dir.file("data"))") && !runOutput.contains("listening"), "\(runOutput)")
        withExtendedLifetime(holder) {}
    }
}
