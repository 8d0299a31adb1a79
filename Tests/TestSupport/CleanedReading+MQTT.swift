import MQTT
import Wire

extension CleanedReading {
    /// Decodes a message seen on `cleaned/`; nil for any other topic or payload.
    public init?(_ m: MQTTMessage) {
        guard m.topic.hasPrefix("cleaned/"), let reading = try? WireJSON.decode(CleanedReading.self, from: m.payload) else { return nil }
        self = reading
    }
}
