import Foundation
import Synchronization
import Testing
import TestSupport
import Wire
@testable import Gateway

@Suite("The output's in-flight limit")
struct InFlightLimitTests {
    @Test("with max-in-flight 1, every reading still comes out once and in order, and no more than one publication ever awaits its acknowledgement")
    func oneInFlight() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["cleaned/#"])
        let mostInFlight = HighWater()
        let gateway = try await InProcessGateway.start(
            broker, in: dir, id: "narrow", configure: { $0.maxInFlight = 1 },
            prepare: { service in service.afterSending = { mostInFlight.note($0) } })
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        let sensors = 5, readings = 200
        for seq in UInt64(0)..<UInt64(readings) {
            for s in 0..<sensors {
                try fleet.measure("n\(s)", seq: seq, ts: 1_795_660_000_000 + Int64(seq) * 1000, temperature: 52)
            }
        }
        try await watcher.recorder.wait(for: "every reading cleaned", timeout: .seconds(120)) { recorded in
            recorded.messages.compactMap(CleanedReading.init).count >= sensors * readings
        }
        let accounting = StreamAccounting(await watcher.cleaned())
        #expect(accounting.allProblems.isEmpty, "\(accounting.allProblems.prefix(5))")
        #expect(accounting.coveredSeqs.values.allSatisfy { $0.count == readings })
        #expect(mostInFlight.value == 1, "\(mostInFlight.value) publications were in flight at once")
        try await gateway.stop()
    }
}

/// The largest figure noted, from any thread.
private final class HighWater: Sendable {
    private let highest = Mutex(0)
    func note(_ v: Int) { highest.withLock { $0 = max($0, v) } }
    var value: Int { highest.withLock { $0 } }
}
