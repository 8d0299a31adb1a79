import CompactCoding
import Recovery

/// An engine with `sensors` sensors already started (past their first reorder window), fed
/// readings in order as a fleet at 1 Hz sends them, on a fake clock.
final class Fleet {
    private(set) var engine: RecoveryEngine
    private var out: [Publication] = []
    private let topics: [String]
    private var round = 1
    private var nextSensor = 0
    private var newSensors = 0
    private var now: Int64 = 1_795_660_000_000

    /// Whether the sensors send CSV lines (`seq,ts,value,status`) rather than JSON.
    private let csv: Bool

    init(sensors: Int, csv: Bool = false) {
        self.csv = csv
        var configuration = EngineConfiguration()
        configuration.maxSensors = nil
        engine = RecoveryEngine(configuration: configuration)
        topics = (0..<sensors).map { "sensors/s\($0)/temperature" }
        out.reserveCapacity(4096)
        for topic in topics { ingest(topic, seq: 0) }
        now += 3_000
        engine.tick(now: now, into: &out)
        out.removeAll(keepingCapacity: true)
    }

    /// The next reading of the round; a tick at the end of each round, as the daemon gives one
    /// per batch when a deadline is due.
    func sendNext() {
        ingest(topics[nextSensor], seq: round)
        nextSensor += 1
        if nextSensor == topics.count {
            (nextSensor, round) = (0, round + 1)
            now += 1_000
            engine.tick(now: now, into: &out)
        }
        out.removeAll(keepingCapacity: true)
    }

    func sendFromNewSensor() {
        newSensors += 1
        ingest("sensors/new-\(newSensors)/temperature", seq: 0)
        out.removeAll(keepingCapacity: true)
    }

    /// What the service loop does when it wakes with nothing due (every sensor was just heard).
    func idleTick() {
        blackHoleDeadline = engine.nextDeadline()
        engine.tick(now: now, into: &out)
        out.removeAll(keepingCapacity: true)
    }

    private(set) var blackHoleDeadline: Int64?

    /// Every sensor sends the same body for a seq, so it is made once per round, outside the loop.
    private var payloads: [Int: [UInt8]] = [:]

    private func ingest(_ topic: String, seq: Int) {
        if payloads[seq] == nil {
            let ts = 1_795_660_000_000 + Int64(seq) * 1_000
            let text = csv ? "\(seq),\(ts),52.5,normal" : "{\"seq\":\(seq),\"ts\":\(ts),\"temperature\":52.5,\"status\":\"normal\"}"
            payloads = [seq: Array(text.utf8)]
        }
        engine.ingest(topic: topic, payload: payloads[seq]!, receivedAt: now, into: &out)
    }
}

extension Fleet {
    /// The engine's snapshot as the gateway writes it: the header's bytes, then each sensor's,
    /// one compact encoder across them all (so key names are spelt once).
    func snapshotFrames() throws -> [[UInt8]] {
        let encoder = CompactEncoder()
        var frames = [try encoder.encode(engine.snapshotHeader)]
        for i in 0..<engine.sensorCount { frames.append(try encoder.encode(engine.sensorSnapshot(at: i))) }
        return frames
    }
}
