import Testing
import Wire

@testable import Recovery

/// Every message the engine writes with its fast writer decodes as the shape the Wire module
/// declares for it (docs/INTERFACE.md), so the simulator's verifier, the tests and Swift
/// consumers read exactly what the gateway publishes.
@Suite("Wire shapes of the engine's output")
struct WireShapesTests {
    /// A stream with every quality: ok, corrected (out of range), synthetic (short gap),
    /// restated (the real reading after its estimate), a gap (beyond max-fill); a dead letter,
    /// resend requests, a stale notice and closed aggregate windows.
    static func everyKind() -> [Publication] {
        var h = Harness { $0.maxFill = 3 }
        h.send(seq: 0)
        h.advance(2_000)  // a new sensor's readings wait one reorder window
        h.send(seq: 1, temp: 70)
        h.send(seq: 2)
        h.send(seq: 4)  // 3 missing: filled
        h.advance(30_000)
        h.send(seq: 3)  // the real 3: restated
        h.send(seq: 10, ts: 1_795_660_000_000 + 120_000)  // 5...9 missing: more than max-fill
        h.advance(30_000)
        h.raw("sensors/s1/temperature", "{\"seq\":")
        h.run(for: 600_000)  // silent: stale
        return h.log
    }

    @Test("cleaned readings of every quality decode, with the fields their quality carries")
    func cleanedReadings() throws {
        let log = Self.everyKind()
        let cleaned = try log.of(.cleaned).map { try WireJSON.decode(CleanedReading.self, from: $0.payload) }
        #expect(Set(cleaned.map(\.quality)) == Set(CleanedReading.Quality.allCases))
        for m in cleaned {
            #expect(m.sensorID == "s1")
            switch m.quality {
            case .ok: #expect(m.temperature != nil && m.status == "normal")
            case .corrected: #expect(m.raw == 70 && m.reason == "out_of_range")
            case .synthetic: #expect(m.method != nil && m.seq == 3)
            case .restated: #expect(m.supersedes == "synthetic" && m.seq == 3)
            case .gap: #expect(m.fromSeq == 5 && m.toSeq == 9 && m.temperature == nil && m.fromTs != nil && m.toTs != nil)
            }
        }
        // And the output keeps the contract by the shared accounting.
        let accounting = StreamAccounting(cleaned)
        #expect(accounting.allProblems.isEmpty, "\(accounting.allProblems)")
        #expect(accounting.coveredSeqs[StreamKey(sensorID: "s1", boot: nil)] == Array(0...10))
    }

    @Test("dead letters, resend requests, sensor states and aggregate windows decode")
    func controlMessages() throws {
        let log = Self.everyKind()
        let letters = try log.of(.deadLetter).map { try WireJSON.decode(DeadLetter.self, from: $0.payload) }
        #expect(letters.map(\.reason).contains("malformed_json"))
        #expect(letters.allSatisfy { $0.topic == "sensors/s1/temperature" && $0.receivedAt > 0 })
        let resends = try log.of(.resendRequest).map { try WireJSON.decode(ResendRequest.self, from: $0.payload) }
        #expect(resends.contains { $0.fromSeq == 3 && $0.toSeq == 3 && $0.measurement == "temperature" })
        #expect(resends.contains { $0.toSeq == nil })  // the stale sensor's open-ended request
        let states = try log.of(.sensorState).map { try WireJSON.decode(SensorStateNotice.self, from: $0.payload) }
        #expect(states.contains { $0.state == .stale && $0.lastSeq == 10 })
        let windows = try log.of(.aggregate).map { try WireJSON.decode(AggregateWindowMessage.self, from: $0.payload) }
        #expect(!windows.isEmpty)
        #expect(windows.allSatisfy { $0.sensorID == "s1" && $0.windowEnd > $0.windowStart && $0.count == $0.ok + $0.corrected + $0.synthetic })
    }
}
