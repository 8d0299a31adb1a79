import Foundation
import MQTT

/// Decoded view of what a subscriber saw on cleaned/, for accounting checks.
public struct CleanedMessageView: Sendable {
    public var sensor: String
    public var seq: UInt64
    public var quality: String
    public var boot: Int?
    public var fromSeq: UInt64?
    public var toSeq: UInt64?
    public var temperature: Double?
    public var text: String

    public init?(_ m: MQTTMessage) {
        guard m.topic.hasPrefix("cleaned/"),
            let j = try? JSONSerialization.jsonObject(with: Data(m.payload)) as? [String: Any],
            let sensor = j["sensor_id"] as? String, let seq = (j["seq"] as? NSNumber)?.uint64Value,
            let quality = j["quality"] as? String
        else { return nil }
        self.sensor = sensor
        self.seq = seq
        self.quality = quality
        boot = (j["boot"] as? NSNumber)?.intValue
        fromSeq = (j["from_seq"] as? NSNumber)?.uint64Value
        toSeq = (j["to_seq"] as? NSNumber)?.uint64Value
        temperature = (j["temperature"] as? NSNumber)?.doubleValue
        text = String(decoding: m.payload, as: UTF8.self)
    }
}

public enum CleanedAccounting {
    /// Checks the contract's guarantees over everything received: per sensor (and boot), the
    /// non-restated messages cover a contiguous run of seqs exactly once (identical
    /// re-publications counted once), and no two messages for one (sensor, boot, seq, quality)
    /// differ. Returns problems found and, per sensor, the covered seqs.
    public static func check(_ messages: [CleanedMessageView]) -> (problems: [String], covered: [String: [UInt64]]) {
        var problems: [String] = []
        var byKey: [String: String] = [:]
        var covered: [String: [UInt64]] = [:]
        for m in messages {
            let key = "\(m.sensor)/\(m.boot.map(String.init) ?? "-")/\(m.seq)/\(m.quality)"
            if let earlier = byKey[key] {
                if earlier != m.text { problems.append("conflicting duplicate for \(key): \(earlier) vs \(m.text)") }
                continue
            }
            byKey[key] = m.text
            if m.quality == "restated" { continue }
            let sensorKey = "\(m.sensor)/\(m.boot.map(String.init) ?? "-")"
            if m.quality == "gap", let f = m.fromSeq, let t = m.toSeq {
                covered[sensorKey, default: []].append(contentsOf: f...t)
            } else {
                covered[sensorKey, default: []].append(m.seq)
            }
        }
        for (sensor, seqs) in covered {
            let sorted = seqs.sorted()
            if sorted != Array(sorted.first!...sorted.last!) {
                let dup = Dictionary(grouping: sorted, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted().prefix(5)
                let missing = Set(sorted.first!...sorted.last!).subtracting(sorted).sorted().prefix(5)
                problems.append("\(sensor): not each seq exactly once (duplicates \(Array(dup)), missing \(Array(missing)))")
            }
            if seqs != seqs.sorted() { problems.append("\(sensor): published out of order") }
        }
        return (problems, covered)
    }
}
