import Foundation
import Recovery
import Sparkplug

/// The Sparkplug B input's settings (docs/SPARKPLUG.md).
extension Setting {
    static let sparkplugTopicFilter = Setting(
        name: "sparkplug-topic-filter",
        help: "Read Sparkplug B edge nodes publishing under this filter (spBv1.0/# for every group; empty: off). Restart-only.",
        valueName: "filter",
        apply: { raw, c in
            let filter = raw.trimmingCharacters(in: .whitespaces)
            if filter.isEmpty {
                c.engine.sparkplugFilter = nil
                return
            }
            guard filter.hasPrefix(SparkplugTopic.namespace + "/"), isTopicFilter(filter) else {
                throw Problem("expected a topic filter under \(SparkplugTopic.namespace)/ (spBv1.0/# or spBv1.0/<group>/#)")
            }
            // Births and deaths must come with the data: a filter of one message type would
            // refuse every data message as having no birth (and ask for rebirths it never sees).
            let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
            // `spBv1.0/<group>/#`, or one node's every message: `spBv1.0/<group>/+/<node>/#` (its
            // `#` takes the node's own topics too).
            guard levels.count == 2 ? levels[1] == "#" : (levels[2] == "#" || (levels[2] == "+" && levels.count == 5 && levels[4] == "#")) else {
                throw Problem(
                    "must take every message type of its groups or nodes (births and deaths with the data, nodes' and devices'): spBv1.0/#, spBv1.0/<group>/# or spBv1.0/<group>/+/<edge node>/#"
                )
            }
            // Its group and node levels are ids the gateway can read or wildcards: a filter of
            // names no stream can have would only take what becomes dead letters.
            let named = [levels[1]] + (levels.count == 5 ? [levels[3]] : [])
            guard named.allSatisfy({ $0 == "+" || $0 == "#" || SparkplugEdgeNodeID.isValidID(String($0)) }) else {
                throw Problem("its group and edge node levels must be ids (no blank, control character or empty level) or + / #")
            }
            guard levels[1] != "STATE" else {
                throw Problem("spBv1.0/STATE/ holds host applications' STATE messages, not edge nodes: spBv1.0/# or spBv1.0/<group>/#")
            }
            c.engine.sparkplugFilter = filter
        }, show: { $0.engine.sparkplugFilter ?? "" })

    static let sparkplugMetrics = Setting(
        name: "sparkplug-metrics",
        help:
            "Sparkplug metric names and the measurement each is read as (Temperature=temperature, Line/RH=humidity); a metric named as a measurement needs no entry.",
        valueName: "metric=measurement,...",
        apply: { raw, c in
            var map: [String: String] = [:]
            for entry in raw.split(separator: ",") {
                let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw Problem("expected metric=measurement, got `\(entry)`") }
                guard map[parts[0]] == nil else { throw Problem("metric `\(parts[0])` named twice") }
                if let other = map.first(where: { $0.value == parts[1] }) {
                    throw Problem("`\(other.key)` and `\(parts[0])` both read as \(parts[1]): one metric per measurement")
                }
                map[parts[0]] = parts[1]
            }
            c.engine.sparkplugMetrics = map.isEmpty ? nil : map
        }, show: { c in (c.engine.sparkplugMetrics ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") })

    static let sparkplugRebirth = Setting.onOff(
        "sparkplug-rebirth",
        "Ask an edge node for a rebirth (NCMD Node Control/Rebirth, at most every 10 s) when its data cannot be read without one.",
        store: { on, c in c.engine.sparkplugRebirth = on ? true : nil }, isOn: { $0.engine.sparkplugRebirth == true })

    static let sparkplugEdgeNode = Setting(
        name: "sparkplug-edge-node",
        help:
            "Also publish the cleaned stream as this Sparkplug B edge node (<group>/<edge node>; each sensor a device, each measurement a metric; empty: off).",
        valueName: "group/node",
        apply: { raw, c in
            let text = raw.trimmingCharacters(in: .whitespaces)
            if text.isEmpty {
                c.sparkplugEdgeNode = nil
                return
            }
            guard let id = SparkplugEdgeNodeID(text) else {
                throw Problem("expected <group>/<edge node>, each not empty, at most 128 bytes, without / + # or blanks, the group not STATE")
            }
            c.sparkplugEdgeNode = id
        }, show: { $0.sparkplugEdgeNode?.description ?? "" })

    static let cleanedTopics = Setting.onOff(
        "cleaned-topics",
        "Publish the cleaned stream on cleaned/ and latest/ (off: only as the Sparkplug edge node, at QoS 0; needs sparkplug-edge-node). Restart-only.",
        store: { on, c in c.cleanedTopics = on }, isOn: { $0.cleanedTopics })

    static let sparkplugPrimaryHost = Setting.sparkplugHost(
        "sparkplug-primary-host",
        "The Sparkplug primary host (Ignition's host id) the gateway's edge node waits for: born only while its STATE says online (empty: it does not wait).",
        \.sparkplugPrimaryHost)

    static let sparkplugHostID = Setting.sparkplugHost(
        "sparkplug-host-id",
        "As a Sparkplug primary host, publish the retained spBv1.0/STATE/<id> (online, and offline as the input connection's will) so edge nodes know the gateway reads them (empty: off).",
        \.sparkplugHostID)

    /// A Sparkplug host id setting (empty: unset), checked as every Sparkplug id is
    /// (`SparkplugEdgeNodeID.isValidID`).
    private static func sparkplugHost(_ name: String, _ help: String, _ key: WritableKeyPath<GatewayConfiguration, String?> & Sendable) -> Setting {
        Setting(
            name: name, help: help, valueName: "id",
            apply: { raw, c in
                let id = raw.trimmingCharacters(in: .whitespaces)
                guard id.isEmpty || SparkplugEdgeNodeID.isValidID(id) else {
                    throw Problem("a host id must not be empty, longer than 128 bytes, or hold / + # or blanks")
                }
                c[keyPath: key] = id.isEmpty ? nil : id
            }, show: { $0[keyPath: key] ?? "" })
    }

    /// Whether `filter` is an MQTT topic filter: `+` and `#` only as whole levels, `#` last.
    static func isTopicFilter(_ filter: String) -> Bool {
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (i, level) in levels.enumerated() {
            if level.contains("#") && (level != "#" || i != levels.count - 1) { return false }
            if level.contains("+") && level != "+" { return false }
        }
        return true
    }
}
