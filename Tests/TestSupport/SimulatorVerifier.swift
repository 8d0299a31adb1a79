import Foundation

/// `sensor-sim verify` run on what a test's subscriber saw, so end-to-end tests score the
/// gateway's output against what the simulated sensors measured in one call.
public enum SimulatorVerifier {
    /// Writes the simulated sensors' cleaned messages (payloads as published) received by
    /// `watcher` to `cleaned.jsonl` in `directory`, runs the verifier against `truth`, and
    /// returns the finished process (its exit code and output).
    /// `measurement`: only the messages of that measurement's topics (`cleaned/<id>/<name>`),
    /// scored with the verifier's `measurement` flags (`--measurement`, `--valid-min`, `--valid-max`).
    public static func verify(
        _ watcher: Subscriber, prefix: String = "cleaned/sim-", truth: String, in directory: TemporaryDirectory,
        measurement: (name: String, flags: [String])? = nil
    )
        async throws -> ChildProcess
    {
        let cleaned = await watcher.messages(on: prefix).filter { m in measurement.map { m.topic.hasSuffix("/\($0.name)") } ?? true }
            .map { String(decoding: $0.payload, as: UTF8.self) }
        let file = directory.file("cleaned-\(measurement?.name ?? "all").jsonl")
        try cleaned.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let verify = try ChildProcess(
            BuiltProducts.executable("sensor-sim"), ["verify", "--truth", truth, "--cleaned", file] + (measurement?.flags ?? []),
            logPath: directory.file("verify-\(measurement?.name ?? "all").log"))
        try await verify.wait()
        return verify
    }
}
