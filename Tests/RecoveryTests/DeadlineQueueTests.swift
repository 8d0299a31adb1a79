import DeterministicRandom
import Testing
@testable import Recovery

@Suite("Deadline queue")
struct DeadlineQueueTests {
    /// Random notes, moves later (not noted, as in the engine) and ticks, checked against the plain
    /// list of deadlines the queue stands for.
    @Test("agrees with a plain list of deadlines under random changes", arguments: [1, 2, 3, 4])
    func agreesWithModel(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var actual: [Int64?] = []
        var queue = DeadlineQueue()
        var now: Int64 = 0
        for _ in 0..<20_000 {
            switch random.next() % 10 {
            case 0:
                queue.addSensor()
                actual.append(nil)
            case 1...4 where !actual.isEmpty:
                // A reading: the deadline moves anywhere ahead of now, or goes; the engine notes it.
                let i = Int(random.next() % UInt64(actual.count))
                actual[i] = random.next() % 5 == 0 ? nil : now + Int64(random.next() % 1000)
                queue.note(i, actual[i])
            case 5 where !actual.isEmpty:
                // A later deadline nobody noted must still be honoured (the key stays early).
                let i = Int(random.next() % UInt64(actual.count))
                if let d = actual[i] { actual[i] = d + Int64(random.next() % 500) }
            case 6, 7:
                let expected = actual.compactMap { $0 }.min()
                #expect(queue.earliest { actual[$0] } == expected)
            default:
                now += Int64(random.next() % 300)
                let due = queue.takeDue(now: now) { actual[$0] }
                let expected = actual.indices.filter { actual[$0].map { $0 <= now } ?? false }
                #expect(due == expected)
                // Ticked sensors get a new deadline ahead (or none).
                for i in due {
                    actual[i] = random.next() % 3 == 0 ? nil : now + 1 + Int64(random.next() % 1000)
                    queue.note(i, actual[i])
                }
            }
        }
    }

    @Test("an engine with 100,000 sensors ticks exactly the sensors that are due")
    func largeFleet() {
        var h = Harness()
        let start = h.now
        for i in 0..<100_000 {
            h.send("s\(i)", seq: 0, at: start + Int64(i / 100))
        }
        #expect(h.log.isEmpty)
        // The first hundred sensors' start deadlines come first; ticking there starts exactly those.
        let window = h.engine.configuration.reorderWindowMs
        #expect(h.engine.nextDeadline() == start + window)
        var started: [Publication] = []
        h.engine.tick(now: start + window, into: &started)
        #expect(started.cleaned.filter { $0.quality == "ok" }.count == 100)
        #expect(h.engine.nextDeadline() == start + window + 1)
    }
}
