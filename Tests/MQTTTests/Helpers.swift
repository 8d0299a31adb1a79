import MQTT
import TestSupport

/// A connected client with its events being recorded.
struct Connected {
    let client: MQTTClient
    let recorder: EventRecorder

    static func make(
        _ broker: TestBroker, id: String, cleanSession: Bool = false,
        configure: (inout MQTTConfiguration) -> Void = { _ in }
    ) async throws -> Connected {
        var config = MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: id)
        config.cleanSession = cleanSession
        configure(&config)
        let client = try MQTTClient(config)
        try await client.connect()
        let recorder = EventRecorder()
        await recorder.record(client)
        return Connected(client: client, recorder: recorder)
    }

    func subscribe(_ filter: String, qos: QoS = .atLeastOnce) async throws {
        let mid = try client.subscribe(filter, qos: qos)
        try await recorder.wait(for: "SUBACK \(mid)") { $0.contains(.subscribed(messageID: mid)) }
    }

    func close() async {
        await client.disconnect()
        await recorder.stop()
    }
}
