import Foundation
import Synchronization
import Testing
import TestSupport
import Wire
@testable import Gateway

/// The real wall clock, moved by a test's offset (the monotonic clock is the real one).
final class SteppedWallClock: Sendable {
    private let offset = Mutex<Int64>(0)
    var sources: JournalClock.Sources {
        JournalClock.Sources(
            wallMilliseconds: { Clocks.epochMilliseconds() + self.offset.withLock { $0 } },
            monotonicMilliseconds: Clocks.monotonicMilliseconds)
    }
    func step(_ ms: Int64) { offset.withLock { $0 += ms } }
}

@Suite("Wall-clock steps through the running gateway")
struct ClockStepGatewayTests {
    static let hour: Int64 = 3_600_000

    @Test("stepped back 2 h, forward a day and back a day, busy and idle, and across a restart: every gap is still filled and every reading comes out once")
    func stepsBothWays() async throws {
        let rig = try await CleanedStreamRig.start()
        defer { rig.stop() }
        let (broker, dir, watcher, fleet) = (rig.broker, rig.dir, rig.watcher, rig.fleet)
        let wall = SteppedWallClock()
        // A reorder window long enough that a gap is surely still open when the clock steps.
        let window: (inout GatewayConfiguration) -> Void = { $0.engine.reorderWindowMs = 3_000 }
        var gateway = try await InProcessGateway.start(broker, in: dir, id: "clock", clocks: wall.sources, configure: window)
        let status = gateway.status
        let ts0: Int64 = 1_795_660_000_000
        /// Ten readings from `first`, the sixth lost (no resend buffer): it can only come out as a
        /// fill once its reorder window closes, which a frozen timeline never lets happen.
        func tenReadings(from first: UInt64) throws {
            for seq in first..<(first + 10) {
                try fleet.measure("c1", seq: seq, ts: ts0 + Int64(seq) * 1000, temperature: 52, deliver: seq != first + 5)
            }
        }
        func waitForSeqs(through last: UInt64) async throws {
            try await watcher.recorder.wait(for: "seqs through \(last) cleaned", timeout: .seconds(60)) {
                $0.messages.compactMap(CleanedReading.init).contains { $0.seq == last }
            }
        }
        func waitForSteps(_ n: Int) async throws {
            try await waitUntil("\(n) clock steps seen") { status.snapshot.runtime.clockSteps >= n }
        }
        try tenReadings(from: 0)
        try await waitForSeqs(through: 4)
        wall.step(-2 * Self.hour)  // busy: seqs 6-9 wait behind the gap at 5
        try await waitForSteps(1)
        try await waitForSeqs(through: 9)
        // Readings just came, stamped by the box's clock 2 h back: Prometheus's `time()` (the real
        // clock) minus the last reading's timestamp says 2 h of silence, which paged "no input"
        // (found black-box, 73rd review); the silence gauge the alert reads now says minutes at most.
        try await waitUntil("a status after the step") { status.snapshot.clockOffsetMs < -Self.hour }
        let metrics = status.metrics.render(status.snapshot)
        let stamped = try #require(GatewayMetricsTests.value("sensor_gateway_last_reading_received_timestamp_seconds", in: metrics))
        #expect(Double(Clocks.epochMilliseconds()) / 1000 - stamped > 3_600, "the scenario the old rule fired on")
        let silence = try #require(GatewayMetricsTests.value("sensor_gateway_input_silence_seconds", in: metrics))
        #expect(silence < 600, "\(silence)")
        wall.step(24 * Self.hour)
        try await waitForSteps(2)
        try tenReadings(from: 10)
        try await waitForSeqs(through: 19)
        wall.step(-24 * Self.hour)  // idle: nothing in flight when it steps
        try await waitForSteps(3)
        try tenReadings(from: 20)
        try await waitForSeqs(through: 29)
        try await gateway.stop()

        // Restarted with the wall clock two hours behind the journal's last record time.
        let behind = SteppedWallClock()
        behind.step(-2 * Self.hour)
        gateway = try await InProcessGateway.start(broker, in: dir, id: "clock", clocks: behind.sources, configure: window)
        try tenReadings(from: 30)
        try await waitForSeqs(through: 39)
        try await gateway.stop()

        let cleaned = await watcher.cleaned()
        let accounting = StreamAccounting(cleaned)
        #expect(accounting.allProblems.isEmpty, "\(accounting.allProblems.prefix(5))")
        #expect(accounting.coveredSeqs.count == 1)
        #expect(accounting.coveredSeqs.values.first?.count == 40)
        let synthetic = Set(cleaned.filter { $0.quality == .synthetic }.map(\.seq))
        #expect(synthetic == [5, 15, 25, 35])
        await fleet.close()
        await watcher.close()
    }

    @Test(
        "restarted while the wall clock is still behind the journal: the time stopped counts (its lead kept in the data folder), and the old step is not counted again (found black-box, 74th review)"
    )
    func restartKeepsTheLead() async throws {
        let rig = try await CleanedStreamRig.start()
        defer { rig.stop() }
        let (broker, dir, watcher, fleet) = (rig.broker, rig.dir, rig.watcher, rig.fleet)
        let wall = SteppedWallClock()
        var gateway = try await InProcessGateway.start(broker, in: dir, id: "lead", clocks: wall.sources)
        wall.step(-2 * Self.hour)
        try fleet.measure("l1", seq: 0, ts: 1_795_660_000_000, temperature: 52)
        let first = gateway.status
        try await waitUntil("the step seen") { first.snapshot.runtime.clockSteps == 1 && first.snapshot.clockOffsetMs < -Self.hour }
        try await gateway.stop()
        // Started again a minute "later" (both clocks a minute on), the wall clock still 2 h behind.
        let later = JournalClock.Sources(
            wallMilliseconds: { Clocks.epochMilliseconds() - 2 * Self.hour + 60_000 },
            monotonicMilliseconds: { Clocks.monotonicMilliseconds() + 60_000 })
        gateway = try await InProcessGateway.start(broker, in: dir, id: "lead", clocks: later)
        let second = gateway.status
        try fleet.measure("l1", seq: 1, ts: 1_795_660_001_000, temperature: 52)
        try await waitUntil("the reading after the restart taken") { second.snapshot.lastReceivedAt != nil }
        // Without the lead the timeline started at the journal's last time: the minute stopped
        // went missing (the offset 2 h less a minute), and the old step was counted again.
        #expect(abs(second.snapshot.clockOffsetMs + 2 * Self.hour) < 10_000, "\(second.snapshot.clockOffsetMs)")
        #expect(second.snapshot.runtime.clockSteps == 0)
        try await gateway.stop()
        await fleet.close()
        await watcher.close()
    }

    @Test(
        "a reading for a fill, arriving after a restart while the clock is still behind: too late once the time stopped has passed the late horizon (CONTRACT section 2)"
    )
    func horizonCountsTheTimeStopped() async throws {
        let rig = try await CleanedStreamRig.start(watching: ["cleaned/#", "dlq/#"])
        defer { rig.stop() }
        let (broker, dir, watcher, fleet) = (rig.broker, rig.dir, rig.watcher, rig.fleet)
        let horizon: (inout GatewayConfiguration) -> Void = { $0.engine.lateHorizonMs = 20_000 }
        let wall = SteppedWallClock()
        var gateway = try await InProcessGateway.start(broker, in: dir, id: "horizon", clocks: wall.sources, configure: horizon)
        wall.step(-2 * Self.hour)
        let ts0: Int64 = 1_795_660_000_000
        for seq: UInt64 in 0...2 { try fleet.measure("h1", seq: seq, ts: ts0 + Int64(seq) * 1000, temperature: 52, deliver: seq != 1) }
        try await watcher.recorder.wait(for: "seq 2 cleaned", timeout: .seconds(60)) {
            $0.messages.compactMap(CleanedReading.init).contains { $0.seq == 2 }
        }
        #expect(await watcher.cleaned().first { $0.seq == 1 }?.quality == .synthetic)
        let first = gateway.status
        try await waitUntil("the step seen") { first.snapshot.runtime.clockSteps == 1 }
        try await gateway.stop()

        // Started again a minute "later", three times the horizon, the wall clock still 2 h behind.
        let later = JournalClock.Sources(
            wallMilliseconds: { Clocks.epochMilliseconds() - 2 * Self.hour + 60_000 },
            monotonicMilliseconds: { Clocks.monotonicMilliseconds() + 60_000 })
        gateway = try await InProcessGateway.start(broker, in: dir, id: "horizon", clocks: later, configure: horizon)
        try fleet.measure("h1", seq: 1, ts: ts0 + 1000, temperature: 51.5)
        try await watcher.recorder.wait(for: "seq 1 dead-lettered or restated", timeout: .seconds(60)) { events in
            events.messages.contains { $0.topic == "dlq/h1/temperature" }
                || events.messages.compactMap(CleanedReading.init).contains { $0.seq == 1 && $0.quality == .restated }
        }
        try await gateway.stop()
        // Without the kept lead the timeline resumed where the journal ended: the minute stopped
        // went uncounted and the fill was restated a minute after it was published.
        #expect(!(await watcher.cleaned()).contains { $0.seq == 1 && $0.quality == .restated })
        let letters = await watcher.messages(on: "dlq/h1/temperature").compactMap { try? JSONDecoder().decode(DeadLetter.self, from: Data($0.payload)) }
        #expect(letters.map(\.reason) == ["too_late"])
        await fleet.close()
        await watcher.close()
    }
}
