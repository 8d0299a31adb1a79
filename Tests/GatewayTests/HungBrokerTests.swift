import Foundation
import Testing
import TestSupport
import Wire

@testable import Gateway

/// A broker that hangs (stopped, swapping, its disk stalled) keeps its connections open until
/// the keepalive expires, about a minute, and `/healthz` said "ok" all that time while nothing
/// went out (found black-box, 58th review). Publications in flight with none acknowledged for
/// 10 s now make it say `degraded`, naming the wait.
@Suite("A hung broker on /healthz")
struct HungBrokerTests {
    /// Found black-box (69th review): a 15 s hang (the connections up, nothing delivered)
    /// marked every sensor stale and asked each to resend all it held, while INTERFACE.md
    /// section 4 says a broker outage does neither.
    @Test("a hung broker is the gateway's deafness, not its sensors' silence: no sensor is marked stale or asked to resend while it hangs")
    func hangMarksNoSensorStale() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "hang-watcher", filters: ["gateway/hp/sensors/#", "cleaned/#"])
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        // The default reorder window: a sensor is stale after twice that, 4 s, at the least.
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "hp", configure: { $0.engine.reorderWindowMs = 2_000 })
        let sensors = (0..<5).map { "hp-\($0)" }
        // Sensors measuring every half second (their period, not a wait).
        let measuring = Task {
            var seq: UInt64 = 0
            while !Task.isCancelled {
                for sensor in sensors { try? fleet.measure(sensor, seq: seq, ts: Clocks.epochMilliseconds(), temperature: 52) }
                seq += 1
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        defer { measuring.cancel() }
        func cleaned(after ts: Int64) async -> Set<String> {
            Set(await watcher.cleaned().filter { $0.ts > ts }.map(\.sensorID))
        }
        // Generous: on a busy 2-core machine the suite's other tests can keep this one's sensors
        // and gateway waiting for minutes (a full run here failed at 120 s, and passed alone).
        try await waitUntil("every sensor's rhythm learnt", timeout: .seconds(600)) {
            let counts = Dictionary(grouping: await watcher.cleaned(), by: \.sensorID).mapValues(\.count)
            return sensors.allSatisfy { (counts[$0] ?? 0) >= 8 }
        }
        // Readings flowing now: a stall of this test's own publisher before the hang (seen on a
        // loaded CI machine: 17 s without a reading, so the sensors went stale, rightly) has
        // ended, and the state messages it caused arrived before these readings.
        let flowing = Clocks.epochMilliseconds()
        try await waitUntil("every sensor's readings before the hang", timeout: .seconds(600)) { await cleaned(after: flowing) == Set(sensors) }
        let statesBefore = await watcher.messages(on: "gateway/hp/sensors/").count
        let resendsBefore = fleet.resendRequests.withLock { $0 }
        broker.pause()
        let pausedAt = Clocks.monotonicMilliseconds()
        // The hang outlasts the sensors' stale time twice over.
        try await waitUntil("8 s of hang", timeout: .seconds(120)) { Clocks.monotonicMilliseconds() - pausedAt >= 8_000 }
        broker.resume()
        let resumedAt = Clocks.epochMilliseconds()
        try await waitUntil("every sensor's readings after the hang", timeout: .seconds(600)) { await cleaned(after: resumedAt) == Set(sensors) }
        measuring.cancel()
        let states = await watcher.messages(on: "gateway/hp/sensors/").dropFirst(statesBefore).map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(!states.contains { $0.contains("\"stale\"") }, "\(states)")
        #expect(fleet.resendRequests.withLock { $0 } == resendsBefore)
        try await gateway.stop()
        await fleet.close()
        await watcher.close()
    }

    @Test("publications unanswered for 10 s are a warning; it goes once the broker answers")
    func unansweredOutputWarned() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // Persistent: on a loaded machine the pause can outlast the watcher's keepalive, and a
        // clean session that reconnects has lost its subscription (seen once in a full run
        // beside two gateways under review: seq 1 went out and never reached this watcher).
        let watcher = try await Subscriber.connect(broker, id: "hung-watcher", filters: ["cleaned/#"], persistent: true)
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        // A reorder window of 10 minutes holds the new sensor's readings until the broker hangs;
        // a reload then shortens it, and they go out to the hung broker. (Waiting for a first
        // publication and hanging the broker after it raced the fill, and an 8 s window was
        // outrun by the test's own lag in a loaded full run.)
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "hb", configure: { $0.engine.reorderWindowMs = 600_000 })
        let ts0 = Clocks.epochMilliseconds() - 60_000
        try fleet.publishRaw("hb-1", TestSensorFleet.payload(seq: 0, ts: ts0, temperature: 52, boot: 1))
        try fleet.publishRaw("hb-1", TestSensorFleet.payload(seq: 1, ts: ts0 + 1000, temperature: 52, boot: 1))
        try await waitUntil("both readings taken", timeout: .seconds(120)) { gateway.status.snapshot.counters.received >= 2 }
        #expect(gateway.status.snapshot.publishedByKind["cleaned"] == nil, "still held")
        func healthz() -> String { GatewayHTTP.handler(status: gateway.status, configuration: gateway.configuration)("/healthz").body }
        broker.pause()
        var engine = gateway.live.current.engine
        engine.reorderWindowMs = 300
        gateway.live.apply(engine: engine, replay: gateway.live.current.replay, logLevel: gateway.live.current.logLevel)
        try await waitUntil("the warning, while still connected", timeout: .seconds(120)) {
            let h = healthz()
            return h.contains("the broker has acknowledged none of the") && h.contains("\"status\":\"degraded\"")
        }
        broker.resume()
        try await watcher.recorder.wait(for: "seq 1 cleaned", timeout: .seconds(120)) {
            $0.messages.compactMap(CleanedReading.init).contains { $0.seq == 1 }
        }
        try await waitUntil("the warning gone", timeout: .seconds(120)) { !healthz().contains("the broker has acknowledged none of the") }
        try await gateway.stop()
        await fleet.close()
        await watcher.close()
    }
}
