import Foundation
import Testing
import TestSupport
import Wire
@testable import Gateway

/// A gateway stopped for longer than its sensors' stale time does not mark them stale when it
/// starts again: it was not listening, and the broker's backlog (or the sensors' next readings)
/// arrive after its first turn (found black-box: the whole fleet flapped stale and live, and each
/// sensor was asked to resend everything it held).
@Suite("A restart after a long stop")
struct RestartAfterLongStopTests {
    static let ts0: Int64 = 1_795_660_000_000
    static let hour: Int64 = 3_600_000

    @Test("an hour later: sensors with a backlog and sensors that resume after the first turn all go on, none stale, none asked to resend")
    func noFleetFlap() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["cleaned/#", "gateway/+/sensors/#", "sensors/+/resend"])
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        // The hour passes on the wall clock the gateway reads, not in the test.
        let wall = SteppedWallClock()
        let ids = (0..<40).map { "long-\($0)" }
        let (withBacklog, resuming) = (ids.prefix(20), ids.suffix(20))
        func send(_ sensors: some Sequence<String>, _ seqs: Range<UInt64>) throws {
            for seq in seqs { for id in sensors { try fleet.measure(id, seq: seq, ts: Self.ts0 + Int64(seq) * 1000, temperature: 52) } }
        }
        func waitCleaned(_ count: Int, _ what: String) async throws {
            try await watcher.recorder.wait(for: what, timeout: .seconds(120)) {
                $0.messages.compactMap(CleanedReading.init).filter { $0.sensorID.hasPrefix("long-") }.count >= count
            }
        }

        // Sensors every 100 ms, stale after 100 periods (10 s): far longer than the restart takes.
        let slowStale: (inout GatewayConfiguration) -> Void = { $0.engine.staleFactor = 100 }
        var gateway = try await InProcessGateway.start(broker, in: dir, id: "long-stop", clocks: wall.sources, configure: slowStale)
        for seq in UInt64(0)..<10 {
            try send(ids, seq..<(seq + 1))
            try await Task.sleep(for: .milliseconds(100))
        }
        try await waitCleaned(400, "the first ten readings of every sensor")
        try await gateway.stop()

        wall.step(Self.hour)
        try send(withBacklog, 10..<15)  // queued by the broker for the gateway's session
        gateway = try await InProcessGateway.start(broker, in: dir, id: "long-stop", clocks: wall.sources, configure: slowStale)
        // A probe whose missing seq 1 can only be filled by a tick after its reorder window: once
        // that fill is out, the restarted gateway has ticked with every resuming sensor overdue.
        try fleet.measure("probe", seq: 0, ts: Self.ts0, temperature: 52)
        try fleet.measure("probe", seq: 2, ts: Self.ts0 + 2000, temperature: 52)
        try await watcher.recorder.wait(for: "the probe's fill", timeout: .seconds(120)) {
            $0.messages.compactMap(CleanedReading.init).contains { $0.sensorID == "probe" && $0.seq == 1 }
        }
        try send(resuming, 10..<15)
        try await waitCleaned(600, "fifteen readings of every sensor")
        try await gateway.stop()

        let messages = await watcher.recorder.messages
        let states = messages.filter { $0.topic.hasPrefix("gateway/long-stop/sensors/long-") }
        #expect(states.count == 0, "\(states.prefix(5).map { "\($0.topic) \(String(decoding: $0.payload, as: UTF8.self))" })")
        let requests = messages.filter { $0.topic.hasPrefix("sensors/long-") && $0.topic.hasSuffix("/resend") }
        #expect(requests.count == 0, "\(requests.prefix(5).map(\.topic))")
        let cleaned = messages.compactMap(CleanedReading.init).filter { $0.sensorID.hasPrefix("long-") }
        #expect(cleaned.allSatisfy { $0.quality == .ok })
        #expect(Set(cleaned.map { "\($0.sensorID)/\($0.seq)" }).count == 600)
        await fleet.close()
        await watcher.close()
    }

    @Test(
        "the broker down for longer than the stale time: no sensor goes stale meanwhile, the readings go on ok after it, and a replay of the journal regenerates every publication"
    )
    func brokerOutage() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["cleaned/#"], persistent: true)
        // Sensors every 100 ms, stale after 20 periods (2 s); no snapshots, so the restart at
        // the end replays the whole journal.
        let settings: (inout GatewayConfiguration) -> Void = {
            $0.engine.staleFactor = 20
            $0.snapshotIntervalMs = 3_600_000
        }
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "outage", configure: settings)
        let ids = (0..<20).map { "out-\($0)" }
        var fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        func send(_ seqs: Range<UInt64>) async throws {
            for seq in seqs {
                for id in ids { try fleet.measure(id, seq: seq, ts: Self.ts0 + Int64(seq) * 1000, temperature: 52) }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        func waitCleaned(_ count: Int, _ what: String) async throws {
            try await watcher.recorder.wait(for: what, timeout: .seconds(120)) {
                Set($0.messages.compactMap(CleanedReading.init).map { "\($0.sensorID)/\($0.seq)" }).count >= count
            }
        }
        try await send(0..<10)
        try await waitCleaned(200, "the first ten readings of every sensor")
        await fleet.close()

        broker.stop()
        try await waitUntil("the gateway to see the broker gone", timeout: .seconds(60)) { !gateway.status.snapshot.connected }
        // More than twice the stale time passes with nothing heard: the gateway could hear nothing.
        try await Task.sleep(for: .seconds(5))
        for _ in 0..<3 {
            let stale = gateway.status.snapshot.sensors.filter(\.stale).map(\.sensorID)
            #expect(stale.isEmpty, "stale while the broker was down: \(stale)")
            try await Task.sleep(for: .milliseconds(600))
        }

        try await broker.restart()
        try await waitUntil("the gateway to subscribe again", timeout: .seconds(120)) { gateway.status.snapshot.subscribed }
        fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        try await send(10..<15)
        try await waitCleaned(300, "fifteen readings of every sensor")
        let cleaned = await watcher.cleaned().filter { $0.sensorID.hasPrefix("out-") }
        #expect(cleaned.allSatisfy { $0.quality == .ok }, "\(cleaned.filter { $0.quality != .ok }.prefix(5))")
        try await gateway.stop()

        if FileManager.default.fileExists(atPath: gateway.configuration.snapshotPath) {
            try FileManager.default.removeItem(atPath: gateway.configuration.snapshotPath)
        }
        let restarted = try await InProcessGateway.start(broker, in: dir, id: "outage", configure: settings)
        #expect(restarted.status.snapshot.runtime.restoreMismatches == 0)
        #expect(restarted.status.snapshot.runtime.restoreCompared >= 300)
        try await restarted.stop()
        await fleet.close()
        await watcher.close()
    }
}
