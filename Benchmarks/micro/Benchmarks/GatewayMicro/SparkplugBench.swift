import Recovery
import Sparkplug

/// One Sparkplug edge node of 50 Double metrics through an engine: its birth, then NDATA
/// messages in order, each carrying every metric by alias.
struct SparkplugBench {
    static let metrics = 50
    static let t0: UInt64 = 1_795_660_000_000

    static func data(seq: UInt64) -> [UInt8] {
        let ts = t0 + seq * 1000
        return SparkplugPayload(
            timestamp: ts, seq: seq & 0xFF,
            metrics: (0..<metrics).map { SparkplugMetric(alias: UInt64($0), timestamp: ts, value: .double(52 + Double($0) / 100)) }
        ).serialized()
    }

    /// Messages made before the measurement: seqs 0-255 (their times repeat every 256).
    static let prepared = (0..<256).map { data(seq: UInt64($0)) }

    var engine: RecoveryEngine
    var seq: UInt64 = 0
    var now: Int64 = 1_000_000
    var out: [Publication] = []

    init() {
        var c = EngineConfiguration()
        c.sparkplugFilter = "spBv1.0/#"
        c.sparkplugMetrics = Dictionary(uniqueKeysWithValues: (0..<Self.metrics).map { ("m\($0)", $0 == 0 ? "temperature" : "m\($0)") })
        c.measurements = (1..<Self.metrics).map { MeasurementDefinition(name: "m\($0)", unit: "u", validMin: 0, validMax: 100) }
        engine = RecoveryEngine(configuration: c)
        let birth = SparkplugPayload(
            timestamp: Self.t0, seq: 0,
            metrics: [SparkplugMetric(name: "bdSeq", datatype: .uint64, value: .long(0))]
                + (0..<Self.metrics).map {
                    SparkplugMetric(name: "m\($0)", alias: UInt64($0), timestamp: Self.t0, datatype: .double, value: .double(52))
                })
        engine.ingest(topic: "spBv1.0/g/NBIRTH/n", payload: birth.serialized(), receivedAt: now, into: &out)
        now += 10_000
        engine.tick(now: now, into: &out)
    }

    /// The next message, its output taken and dropped (as the daemon does once journaled).
    mutating func sendNext() {
        seq += 1
        now += 1000
        out.removeAll(keepingCapacity: true)
        engine.ingest(topic: "spBv1.0/g/NDATA/n", payload: Self.prepared[Int(seq & 0xFF)], receivedAt: now, into: &out)
    }
}
