import Foundation
import Testing
import TestSupport

/// The offline `replay` writing to an output that fails: an error and exit 74, as `export`.
@Suite("Offline replay to a failing output")
struct OfflineReplayOutputTests {
    @Test("replay > /dev/full says it cannot write standard output and exits 74, without a crash (found black-box: a trap and a backtrace, exit 132)")
    func fullDevice() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (journal, start) = try ReplayQueryTests.journal(dir, count: 3000)
        let dataDir = (journal as NSString).deletingLastPathComponent
        let replay = "exec '\(BuiltProducts.executable("sensor-gateway"))' replay --data-dir '\(dataDir)' --from \(start) --to \(start + 3_000_000) > /dev/full"
        let child = try ChildProcess("/bin/sh", ["-c", replay], logPath: dir.file("replay.log"))
        try await child.wait(timeout: .seconds(60))
        #expect(child.exitCode == 74, "\(child.output)")
        #expect(child.output.contains("error: cannot write standard output"), "\(child.output)")
        #expect(!child.output.contains("Fatal error"), "\(child.output)")
    }
}
