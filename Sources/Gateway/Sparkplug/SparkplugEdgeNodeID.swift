import Sparkplug

/// Where the gateway's own Sparkplug B edge node publishes: `spBv1.0/<group>/<type>/<node>[/<device>]`.
public struct SparkplugEdgeNodeID: Sendable, Equatable, CustomStringConvertible {
    public var group: String
    public var node: String

    /// Parses `<group>/<edge node>`; nil unless both are valid ids (`isValidID`) and the group is
    /// not `STATE` (the level of host applications' `spBv1.0/STATE/<id>`).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, parts.allSatisfy(Self.isValidID), parts[0] != "STATE" else { return nil }
        group = parts[0]
        node = parts[1]
    }

    /// The longest id taken, in UTF-8 bytes (a topic holds three of them, and MQTT connections
    /// refuse a will topic past what libmosquitto takes).
    public static let maxIDBytes = 128

    /// Whether `id` may be a group, edge node or host id: not empty, at most `maxIDBytes`, none
    /// of `/ + #` (section 4.1.1), and, as for sensor ids, no blank or control character (a
    /// SCADA tag path or a shell line would split on it).
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= maxIDBytes
            && !id.unicodeScalars.contains {
                "/+#".unicodeScalars.contains($0) || $0.properties.isWhitespace || $0.properties.generalCategory == .control
            }
    }

    public func topic(_ type: SparkplugTopic.MessageType, device: String? = nil) -> String {
        var t = "\(SparkplugTopic.namespace)/\(group)/\(type.rawValue)/\(node)"
        if let device { t += "/\(device)" }
        return t
    }

    public var description: String { "\(group)/\(node)" }
}
