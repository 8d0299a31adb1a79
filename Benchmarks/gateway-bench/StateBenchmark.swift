import CMallocTuning
import CompactCoding
import DeterministicRandom
import Foundation
import Recovery

/// Bytes the allocator has handed out and not had back: the engine's own state when nothing
/// else grows.
private func heapInUse() -> Int { Int(sg_malloc_bytes_in_use()) }

/// One sensor's reading at `second`, as a sensor in the field sends it.
private func reading(second: Int, offset: Int64, value: Double) -> [UInt8] {
    Array(
        "{\"seq\":\(second),\"ts\":\(1_795_660_000_000 + Int64(second) * 1000 + offset),\"temperature\":\(value),\"status\":\"normal\",\"boot\":1}".utf8)
}

/// The engine's per-sensor state over the late horizon and past it, on a simulated clock: a
/// fleet at 1 Hz with the field's faults (10% of readings missing: of those, 60% come again
/// within the reorder window as a resend would, 20% come 90 s late and restate their fill, 20%
/// never come; 5% out of range; 1% duplicated), each second's readings spread over it and ticks
/// at the engine's deadlines, as the daemon's turns give them. Prints the heap in use and the
/// snapshot's bytes per sensor every simulated 10 minutes, so a change to what a sensor
/// remembers shows in seconds instead of a 70-minute run of the daemon
/// (`Benchmarks/flash-budget.sh` measures that).
func stateBenchmark(sensors: Int, simulatedSeconds: Int) throws {
    var rng = SplitMix64(seed: 11)
    let topics = (0..<sensors).map { "sensors/state-\($0)/temperature" }
    let before = heapInUse()
    var engine = RecoveryEngine(configuration: EngineConfiguration())
    var out: [Publication] = []
    out.reserveCapacity(4096)
    var delayed: [Int: [(sensor: Int, body: [UInt8])]] = [:]
    var published = 0
    print("engine state: \(sensors) sensors at 1 Hz with the field's faults, \(simulatedSeconds) simulated seconds")
    print("  minute  heap bytes/sensor  snapshot bytes/sensor")
    let elapsed = try seconds {
        for second in 0..<simulatedSeconds {
            let base = Int64(second) * 1000
            var next = engine.nextDeadline()
            for s in 0..<sensors {
                // The fleet spread over the second, as sensors on their own clocks arrive; ticks
                // at the engine's deadlines, looked at every 100 messages, as the daemon's turns.
                let offset = Int64(s) * 1000 / Int64(sensors)
                if s % 100 == 0, let due = next, due <= base + offset {
                    engine.tick(now: base + offset, into: &out)
                    next = engine.nextDeadline()
                }
                let value = rng.nextUnit() < 0.05 ? 70.5 : 50 + Double(rng.next() % 500) / 100
                let body = reading(second: second, offset: offset, value: value)
                if rng.nextUnit() < 0.10 {
                    let fate = rng.nextUnit()
                    if fate < 0.6 {
                        delayed[second + 1, default: []].append((s, body))
                    } else if fate < 0.8 {
                        delayed[second + 90, default: []].append((s, body))
                    }
                    continue
                }
                let copies = rng.nextUnit() < 0.01 ? 2 : 1
                for _ in 0..<copies {
                    body.withUnsafeBufferPointer { engine.ingest(topic: topics[s], payload: $0, receivedAt: base + offset, into: &out) }
                }
            }
            for (s, body) in delayed.removeValue(forKey: second) ?? [] {
                body.withUnsafeBufferPointer { engine.ingest(topic: topics[s], payload: $0, receivedAt: base + 999, into: &out) }
            }
            engine.tick(now: base + 999, into: &out)
            published += out.count
            out.removeAll(keepingCapacity: true)
            if (second + 1) % 600 == 0 || second + 1 == simulatedSeconds {
                let encoder = CompactEncoder()
                var snapshotBytes = 0
                for i in 0..<engine.sensorCount { snapshotBytes += try encoder.encode(engine.sensorSnapshot(at: i)).count }
                let heap = heapInUse() - before
                print(
                    "  \(String(format: "%6d", (second + 1) / 60))  \(String(format: "%17d", heap / sensors))  \(String(format: "%21d", snapshotBytes / sensors))"
                )
            }
        }
    }
    print("  \(published) publications in \(String(format: "%.1f", elapsed)) s")
}
