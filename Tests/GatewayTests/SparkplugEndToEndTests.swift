import Foundation
import MQTT
import Testing
import TestSupport
import Wire

/// A Sparkplug B edge node played by pysparkplug (Tests/Peers/sparkplug_edge_node.py), an
/// implementation independent of the gateway's, through the real executable and a real broker
/// (docs/SPARKPLUG.md).
@Suite("Sparkplug B edge node end to end")
struct SparkplugEndToEndTests {
    static let peer = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Peers/sparkplug_edge_node.py").path

    /// What the peer sent, as it wrote it.
    struct Sent: Decodable {
        struct Epoch: Decodable {
            var values: [String: Double]
            var lost: [UInt64]
        }
        var epochs: [Epoch]
        var commands: [[String]]
    }

    @Test(
        "data before a birth is held and a rebirth asked, then read first; lost, late, duplicated and swapped NDATA past a seq wrap, then a reboot: every seq out once in order, what was sent as sent, what was lost filled and flagged, nothing dead-lettered"
    )
    func edgeNodeOnABadNetwork() async throws {
        let scenario = try await GatewayScenario.start(
            watching: ["cleaned/#", "dlq/#", "spBv1.0/+/NCMD/#"],
            gatewayFlags: ["--sparkplug-topic-filter", "spBv1.0/#", "--sparkplug-rebirth", "on", "--sparkplug-metrics", "Temperature=temperature"],
            answersResends: false)
        defer { scenario.cleanUp() }
        let out = scenario.directory.file("sent.json")
        let peer = try ChildProcess(
            "/usr/bin/env", ["python3", Self.peer, "--port", "\(scenario.broker.port)", "--messages", "300", "--out", out],
            logPath: scenario.directory.file("peer.log"))
        let status = try await peer.wait(timeout: .seconds(300))
        #expect(status == 0, "the peer: \(peer.output)")
        let sent = try JSONDecoder().decode(Sent.self, from: Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(sent.commands.contains(["Node Control/Rebirth"]), "the peer decoded the gateway's rebirth request")

        let topic = "cleaned/Plant1.Line3/temperature"
        try await scenario.watcher.recorder.wait(for: "both epochs out", timeout: .seconds(180)) { events in
            let readings = events.compactMap { if case .message(let m) = $0, m.topic == topic { CleanedReading(m) } else { nil } }
            return Set(readings.compactMap(\.boot)).count == 2 && readings.contains { $0.seq == 20 && $0.boot == readings.last?.boot }
                && readings.filter { $0.boot == readings.first?.boot && $0.quality != .restated }.count
                    == sent.epochs[0].values.count + sent.epochs[0].lost.count
        }
        let readings = await scenario.watcher.messages(on: topic).compactMap(CleanedReading.init)
        let boots = readings.compactMap(\.boot).reduce(into: [Int64]()) { if !$0.contains($1) { $0.append($1) } }
        #expect(boots.count == 2, "a new bdSeq is a new epoch")
        for (epoch, boot) in boots.enumerated() {
            let stream = readings.filter { $0.boot == boot }
            let firsts = stream.filter { $0.quality != .restated }
            #expect(
                firsts.map(\.seq) == Array(0...UInt64(sent.epochs[epoch].values.count + sent.epochs[epoch].lost.count - 1)),
                "epoch \(epoch): each seq once, in order")
            var final: [UInt64: CleanedReading] = [:]
            for r in stream { final[r.seq] = r }
            for (seq, value) in sent.epochs[epoch].values {
                let r = try #require(final[UInt64(seq)!], "epoch \(epoch) seq \(seq)")
                #expect(r.temperature == value && (r.quality == .ok || r.quality == .restated), "epoch \(epoch) seq \(seq): \(r)")
            }
            for seq in sent.epochs[epoch].lost {
                #expect(final[seq]?.quality == .synthetic || final[seq]?.quality == .gap, "epoch \(epoch) lost seq \(seq): flagged")
            }
        }
        let letters = await scenario.watcher.messages(on: "dlq/")
        #expect(letters.isEmpty, "the data sent before the birth was held for it, not dead-lettered")
        #expect(await scenario.watcher.messages(on: "cleaned/Plant1.Line3/").allSatisfy { $0.topic == topic }, "Speed is mapped to no measurement")
        #expect(await scenario.watcher.messages(on: "spBv1.0/Plant1/NCMD/Line3").count >= 1)
        #expect(try await scenario.finish() == 0)
    }
}
