import Wire
import Foundation
import MQTT
import Testing
import TestSupport

/// Ordinary field data that once stopped the gateway for good: a sensor stuck out of range
/// (aggregate windows with no valid reading) and one silent for longer than a window.
@Suite("A fleet with the field's faults")
struct FleetTests {
    @Test(
        "200 simulated sensors with the field fault mix, a sensor stuck out of range and one silent past a window, across several snapshots: the gateway stays up, the verifier passes, a restart comes back"
    )
    func fieldFaults() async throws {
        let port = LoopbackNetwork.freePort()
        let scenario = try await GatewayScenario.start(
            watching: ["cleaned/#", "aggregates/#"],
            gatewayFlags: ["--aggregate-window-s", "1", "--snapshot-interval-ms", "500", "--http", "127.0.0.1:\(port)"],
            answersResends: false)
        defer { scenario.cleanUp() }
        let (watcher, fleet, dir) = (scenario.watcher, scenario.fleet, scenario.directory)
        let truth = dir.file("truth.jsonl")
        let sim = try ChildProcess(
            BuiltProducts.executable("sensor-sim"),
            [
                "run", "--broker", scenario.broker.url, "--sensors", "200", "--rate", "5", "--duration", "6",
                "--resend-buffer", "100", "--linger", "3", "--truth", truth,
            ],
            logPath: dir.file("sim.log"))
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for seq in UInt64(0)..<30 {
            try fleet.measure("stuck", seq: seq, ts: now + Int64(seq) * 100, temperature: 80)
            if seq < 10 || seq >= 25 { try fleet.measure("quiet", seq: seq, ts: now + Int64(seq) * 100, temperature: 52) }
            try await Task.sleep(for: .milliseconds(seq == 10 ? 2500 : 100))
        }
        try await sim.wait(timeout: .seconds(120))
        #expect(sim.exitCode == 0, "\(sim.output.suffix(500))")
        try await waitUntil("two snapshots after the stream", timeout: .seconds(60)) {
            let text = (try? await HTTPGet.fetch(port: port, path: "/metrics").body) ?? ""
            return text.contains("sensor_gateway_snapshots_written_total ") && !text.contains("sensor_gateway_snapshots_written_total 0\n")
                && !text.contains("sensor_gateway_snapshots_written_total 1\n")
        }
        try await watcher.recorder.wait(for: "the stuck and quiet sensors' last readings", timeout: .seconds(60)) { events in
            let views = events.messages.compactMap(CleanedReading.init)
            return views.contains { $0.sensorID == "stuck" && $0.seq == 29 } && views.contains { $0.sensorID == "quiet" && $0.seq == 29 }
        }
        #expect(scenario.gateway.child.isRunning)
        #expect((try? await HTTPGet.fetch(port: port, path: "/healthz").status) == 200)

        // The stuck sensor's windows hold only estimates, and they were published.
        let stuckWindows = await watcher.messages(on: "aggregates/stuck/").compactMap {
            try? WireJSON.decode(AggregateWindowMessage.self, from: $0.payload)
        }
        #expect(!stuckWindows.isEmpty)
        #expect(stuckWindows.allSatisfy { $0.ok == 0 && $0.corrected > 0 })

        // The simulated fleet scores clean against what it measured (as published, byte for byte).
        let verify = try await SimulatorVerifier.verify(watcher, truth: truth, in: dir)
        #expect(verify.exitCode == 0, "\(verify.output.suffix(1500))")

        // A restart on the same data folder comes back and carries on.
        #expect(try await scenario.stopGateway() == 0)
        try await scenario.startGateway(round: 1)
        try fleet.measure("quiet", seq: 30, ts: now + 3000, temperature: 52)
        try await watcher.recorder.wait(for: "a reading after the restart") { events in
            events.messages.compactMap(CleanedReading.init).contains { $0.sensorID == "quiet" && $0.seq == 30 }
        }
        #expect(try await scenario.finish() == 0)
    }
}
