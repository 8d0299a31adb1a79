import MQTT
import Wire

/// A test client subscribed to some filters, recording everything it receives.
public struct Subscriber: Sendable {
    public let client: MQTTClient
    public let recorder: EventRecorder

    public static func connect(
        _ broker: TestBroker, id: String, filters: [String], persistent: Bool = false,
        configure: (inout MQTTConfiguration) -> Void = { _ in }
    ) async throws -> Subscriber {
        var config = MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: id)
        config.cleanSession = !persistent
        configure(&config)
        let client = try MQTTClient(config)
        try await client.connect()
        let recorder = EventRecorder()
        await recorder.record(client)
        for f in filters {
            let mid = try client.subscribe(f, qos: .atLeastOnce)
            try await recorder.wait(for: "SUBACK for \(f)") { $0.contains(.subscribed(messageID: mid)) }
        }
        return Subscriber(client: client, recorder: recorder)
    }

    public func messages(on prefix: String) async -> [MQTTMessage] {
        await recorder.messages.filter { $0.topic.hasPrefix(prefix) }
    }

    public func cleaned() async -> [CleanedReading] {
        await recorder.messages.compactMap(CleanedReading.init)
    }

    public func close() async {
        await client.disconnect()
        await recorder.stop()
    }
}
