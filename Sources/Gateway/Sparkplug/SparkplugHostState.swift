import Foundation
import MQTT
import Sparkplug
import Synchronization

/// The gateway as a Sparkplug primary host application (Sparkplug 3.0 section 7.3): the retained
/// `spBv1.0/STATE/<host id>` message, `{"online":true,"timestamp":T}` once its input connection is
/// up and `{"online":false,"timestamp":T}` as that connection's will and at a clean stop, both
/// with the `T` of that connection, QoS 1. Edge nodes configured with this host id hold their data
/// (store and forward) while it is offline.
final class SparkplugHostState: Sendable {
    let topic: String
    /// The timestamp of the latest connection attempt's will, which its online message repeats.
    private let timestamp = Mutex<UInt64>(0)

    init(hostID: String) {
        topic = Self.topic(hostID)
    }

    /// `spBv1.0/STATE/<host id>`.
    static func topic(_ hostID: String) -> String { "\(SparkplugTopic.namespace)/STATE/\(hostID)" }

    /// The will of the connection about to be made: offline, with a new timestamp.
    func willForConnect() -> MQTTConfiguration.Will {
        let now = UInt64(max(0, Clocks.epochMilliseconds()))
        timestamp.withLock { $0 = now }
        return .init(topic: topic, payload: Self.payload(online: false, timestamp: now), qos: .atLeastOnce, retain: true)
    }

    /// What the input connection publishes once connected and subscribed.
    var online: [UInt8] { Self.payload(online: true, timestamp: timestamp.withLock { $0 }) }
    /// What a clean stop publishes.
    var offline: [UInt8] { Self.payload(online: false, timestamp: timestamp.withLock { $0 }) }

    /// A `STATE` message as read back.
    struct Payload: Decodable {
        var online: Bool
        var timestamp: UInt64
    }

    static func payload(online: Bool, timestamp: UInt64) -> [UInt8] {
        Array("{\"online\":\(online),\"timestamp\":\(timestamp)}".utf8)
    }
}
