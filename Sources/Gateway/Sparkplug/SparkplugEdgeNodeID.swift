import Sparkplug

/// Where the gateway's own Sparkplug B edge node publishes: `spBv1.0/<group>/<type>/<node>[/<device>]`.
public struct SparkplugEdgeNodeID: Sendable, Equatable, CustomStringConvertible {
    public var group: String
    public var node: String

    /// Parses `<group>/<edge node>`; nil unless both are valid Sparkplug ids (section 4.1.1: no
    /// `/`, `+` or `#`, not empty).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, parts.allSatisfy(Self.isValidID) else { return nil }
        group = parts[0]
        node = parts[1]
    }

    /// Whether `id` may be a group, edge node or device id: not empty, none of `/ + #`, and no
    /// character MQTT forbids in a topic.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && !id.unicodeScalars.contains { "/+#".unicodeScalars.contains($0) || $0.value == 0 }
    }

    public func topic(_ type: SparkplugTopic.MessageType, device: String? = nil) -> String {
        var t = "\(SparkplugTopic.namespace)/\(group)/\(type.rawValue)/\(node)"
        if let device { t += "/\(device)" }
        return t
    }

    public var description: String { "\(group)/\(node)" }
}
