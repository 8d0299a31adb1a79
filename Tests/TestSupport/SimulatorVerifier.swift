import Foundation

/// `sensor-sim verify` run on what a test's subscriber saw, so end-to-end tests score the
/// gateway's output against what the simulated sensors measured in one call.
public enum SimulatorVerifier {
    /// Writes the simulated sensors' cleaned messages (payloads as published) received by
    /// `watcher` to `cleaned.jsonl` in `directory`, runs the verifier against `truth`, and
    /// returns the finished process (its exit code and output).
    public static func verify(
        _ watcher: Subscriber, prefix: String = "cleaned/sim-", truth: String, in directory: TemporaryDirectory
    )
        async throws -> ChildProcess
    {
        let cleaned = await watcher.messages(on: prefix).map { String(decoding: $0.payload, as: UTF8.self) }
        try cleaned.joined(separator: "\n").write(toFile: directory.file("cleaned.jsonl"), atomically: true, encoding: .utf8)
        let verify = try ChildProcess(
            BuiltProducts.executable("sensor-sim"), ["verify", "--truth", truth, "--cleaned", directory.file("cleaned.jsonl")],
            logPath: directory.file("verify.log"))
        try await verify.wait()
        return verify
    }
}
