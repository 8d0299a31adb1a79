import Recovery
import Sparkplug

/// libFuzzer entry point: any bytes as a Sparkplug B payload. The decoder must return a payload
/// or an error, never trap, and what it returns must write and read back the same (compared as
/// bytes: a NaN value is not equal to itself). Then the
/// bytes go through an engine that has a node's birth, as the node's data, a device's birth and
/// data, and a death: it must dead-letter or read them, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSparkplug(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    if let payload = try? SparkplugPayload(decoding: bytes) {
        let written = payload.serialized()
        let again = try? SparkplugPayload(decoding: written)
        precondition(again?.serialized() == written, "a decoded payload does not read back the same once written")
    }
    var c = EngineConfiguration()
    c.sparkplugFilter = "spBv1.0/#"
    c.sparkplugRebirth = true
    c.sparkplugMetrics = ["T": "temperature"]
    var engine = RecoveryEngine(configuration: c)
    var out: [Publication] = []
    let birth = SparkplugPayload(
        timestamp: 1_795_660_000_000, seq: 0,
        metrics: [
            SparkplugMetric(name: "bdSeq", datatype: .uint64, value: .long(0)),
            SparkplugMetric(name: "T", alias: 1, timestamp: 1_795_660_000_000, datatype: .double, value: .double(52)),
            SparkplugMetric(name: "temperature", alias: 2, timestamp: 1_795_660_000_000, datatype: .int8, value: .int(52)),
        ])
    engine.ingest(topic: "spBv1.0/g/NBIRTH/n", payload: birth.serialized(), receivedAt: 1_000, into: &out)
    for (i, topic) in ["spBv1.0/g/NDATA/n", "spBv1.0/g/DBIRTH/n/d", "spBv1.0/g/DDATA/n/d", "spBv1.0/g/NDATA/n", "spBv1.0/g/NBIRTH/n", "spBv1.0/g/NDEATH/n"]
        .enumerated()
    {
        engine.ingest(topic: topic, payload: bytes, receivedAt: 2_000 + Int64(i) * 1_000, into: &out)
        engine.tick(now: 2_500 + Int64(i) * 1_000, into: &out)
    }
    engine.tick(now: 100_000, into: &out)
    precondition(out.allSatisfy { !$0.topic.isEmpty }, "a publication without a topic")
    return 0
}
