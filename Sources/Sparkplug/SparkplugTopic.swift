/// A Sparkplug B topic (Sparkplug 3.0 section 4.1): `spBv1.0/<group>/<type>/<edge node>[/<device>]`,
/// or a host application's `spBv1.0/STATE/<host id>`.
public struct SparkplugTopic: Sendable, Hashable {
    /// The first level of every Sparkplug B topic.
    public static let namespace = "spBv1.0"

    /// The message types of section 4.1.1. Commands and `STATE` are other hosts' messages: the
    /// gateway sends commands, it never takes readings from them.
    public enum MessageType: String, Sendable, CaseIterable {
        case nodeBirth = "NBIRTH"
        case nodeDeath = "NDEATH"
        case nodeData = "NDATA"
        case nodeCommand = "NCMD"
        case deviceBirth = "DBIRTH"
        case deviceDeath = "DDEATH"
        case deviceData = "DDATA"
        case deviceCommand = "DCMD"

        /// Whether the message carries a device id (its topic has five levels).
        public var isDeviceMessage: Bool {
            switch self {
            case .deviceBirth, .deviceDeath, .deviceData, .deviceCommand: true
            case .nodeBirth, .nodeDeath, .nodeData, .nodeCommand: false
            }
        }
    }

    public var group: String
    public var type: MessageType
    public var edgeNode: String
    /// nil for node messages.
    public var device: String?

    public init(group: String, type: MessageType, edgeNode: String, device: String? = nil) {
        self.group = group
        self.type = type
        self.edgeNode = edgeNode
        self.device = device
    }

    /// What a topic under the namespace is.
    public enum Parsed: Sendable, Equatable {
        case message(SparkplugTopic)
        /// `spBv1.0/STATE/<host id>`: a host application's state, not data.
        case hostState(String)
        /// Under the namespace but not a topic section 4.1 defines (an unknown type, a level
        /// missing, too many levels, an empty id).
        case invalid
    }

    /// Reads `topic`; nil when it is not under `spBv1.0/` at all.
    public static func parse(_ topic: String) -> Parsed? {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.first == Substring(namespace) else { return nil }
        if levels.count == 3 && levels[1] == "STATE" {
            return levels[2].isEmpty ? .invalid : .hostState(String(levels[2]))
        }
        guard levels.count == 4 || levels.count == 5, let type = MessageType(rawValue: String(levels[2])),
            type.isDeviceMessage == (levels.count == 5), !levels.dropFirst().contains(where: \.isEmpty)
        else { return .invalid }
        return .message(
            SparkplugTopic(group: String(levels[1]), type: type, edgeNode: String(levels[3]), device: levels.count == 5 ? String(levels[4]) : nil))
    }

    /// The topic's text.
    public var text: String {
        var t = "\(Self.namespace)/\(group)/\(type.rawValue)/\(edgeNode)"
        if let device { t += "/\(device)" }
        return t
    }
}
