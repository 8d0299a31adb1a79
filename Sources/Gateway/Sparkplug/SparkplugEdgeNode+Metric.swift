import Recovery
import Sparkplug
import Wire

/// How a cleaned message becomes a Sparkplug metric (docs/SPARKPLUG.md, the table of "The cleaned
/// stream as an edge node").
extension SparkplugEdgeNode {
    /// `cleaned/<sensor>/<measurement>` as device and metric name.
    static func deviceAndMetric(_ topic: String) -> (String, String)? {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count == 3, levels[0] == "cleaned", !levels[1].isEmpty, !levels[2].isEmpty else { return nil }
        return (String(levels[1]), String(levels[2]))
    }

    /// The metric a cleaned message becomes (named, with its datatype, for a birth; `show`
    /// strips those for data): the value at the reading's `ts`, the quality as Sparkplug's code
    /// and the contract's flag, the sensor's seq; a gap as a null value with its seqs; a
    /// restated reading as historical (it corrects the past, it is not the current value).
    static func metric(_ p: Publication) -> SparkplugMetric? {
        if let f = p.releasedFields {
            return metric(seq: f.seq, ts: f.ts, value: f.value, quality: f.quality, method: f.method, toSeq: nil, boot: f.boot)
        }
        guard let r = try? WireJSON.decode(CleanedReading.self, from: p.payload) else { return nil }
        return metric(seq: r.seq, ts: r.ts, value: r.temperature, quality: r.quality, method: r.method, toSeq: r.toSeq, boot: r.boot)
    }

    /// `boot` goes with `seq` when the epoch has one: a sensor's seqs start again at each boot, so
    /// `seq` and `flag` alone repeated the previous epoch's keys (found black-box, 64th review).
    private static func metric(
        seq: UInt64, ts: Int64, value: Double?, quality: Quality, method: String?, toSeq: UInt64?, boot: Int64?
    ) -> SparkplugMetric {
        var properties = [SparkplugProperty("flag", .string(quality.rawValue)), SparkplugProperty("seq", .uint64(seq))]
        if let boot { properties.append(SparkplugProperty("boot", .uint64(UInt64(clamping: boot)))) }
        if let toSeq { properties.append(SparkplugProperty("to_seq", .uint64(toSeq))) }
        if let method { properties.append(SparkplugProperty("method", .string(method))) }
        let code: Int32 =
            switch quality {
            case .ok: SparkplugMetric.QualityCode.good
            case .gap: SparkplugMetric.QualityCode.bad
            default: SparkplugMetric.QualityCode.uncertain
            }
        let sparkplugValue: SparkplugValue = quality == .gap ? .null : value.map { .double($0) } ?? .null
        return SparkplugMetric(
            timestamp: UInt64(clamping: ts), datatype: .double, value: sparkplugValue, quality: code, properties: properties,
            isHistorical: quality == .restated)
    }

    static func bdSeqMetric(_ bdSeq: UInt64, now: UInt64) -> SparkplugMetric {
        SparkplugMetric(name: "bdSeq", timestamp: now, datatype: .int64, value: .long(bdSeq))
    }
}
