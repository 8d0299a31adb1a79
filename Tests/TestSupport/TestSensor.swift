import Foundation
import MQTT
import Synchronization
import Wire

/// A fleet of scripted sensors over one MQTT connection. It remembers everything it measured
/// and, when `answersResends` is on, republishes requested seqs like a sensor with a buffer.
public final class TestSensorFleet: Sendable {
    public let client: MQTTClient
    private let measured = Mutex<[String: [UInt64: String]]>([:])
    private let answersResends: Bool
    private let pump = Mutex<Task<Void, Never>?>(nil)
    public let resendRequests = Mutex(0)

    public static func connect(
        _ broker: TestBroker, id: String = "test-sensors", answersResends: Bool, configure: (inout MQTTConfiguration) -> Void = { _ in }
    ) async throws -> TestSensorFleet {
        var configuration = MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: id)
        configure(&configuration)
        let client = try MQTTClient(configuration)
        try await client.connect()
        let fleet = TestSensorFleet(client: client, answersResends: answersResends)
        try client.subscribe(Topics.resendFilter, qos: .atLeastOnce)
        fleet.startPump()
        return fleet
    }

    private init(client: MQTTClient, answersResends: Bool) {
        self.client = client
        self.answersResends = answersResends
    }

    public static func payload(seq: UInt64, ts: Int64, temperature: Double, boot: Int? = nil) -> String {
        "{\"seq\":\(seq),\"ts\":\(ts),\"temperature\":\(temperature),\"status\":\"normal\"\(boot.map { ",\"boot\":\($0)" } ?? "")}"
    }

    /// Records a measurement and, unless `deliver` is false (lost on the network), publishes it.
    public func measure(_ sensor: String, seq: UInt64, ts: Int64, temperature: Double, deliver: Bool = true) throws {
        let body = TestSensorFleet.payload(seq: seq, ts: ts, temperature: temperature)
        measured.withLock { $0[sensor, default: [:]][seq] = body }
        if deliver { try client.publish(topic: Topics.reading(sensor), payload: Array(body.utf8), qos: .atLeastOnce) }
    }

    public func publishRaw(_ sensor: String, _ body: String) throws {
        try client.publish(topic: Topics.reading(sensor), payload: Array(body.utf8), qos: .atLeastOnce)
    }

    private func startPump() {
        let task = Task { [weak self] in
            while let self, !Task.isCancelled {
                let events = await self.client.nextEvents()
                if events.isEmpty { return }
                for case .message(let m) in events { self.answer(m) }
            }
        }
        pump.withLock { $0 = task }
    }

    private func answer(_ m: MQTTMessage) {
        resendRequests.withLock { $0 += 1 }
        guard answersResends else { return }
        guard let sensor = Topics.sensor(ofResend: m.topic), let request = try? WireJSON.decode(ResendRequest.self, from: m.payload),
            request.isFor(Topics.defaultMeasurement)
        else { return }
        let bodies = measured.withLock { all in (all[sensor] ?? [:]).filter { request.asks(for: $0.key) }.sorted { $0.key < $1.key }.map(\.value) }
        for body in bodies { _ = try? client.publish(topic: Topics.reading(sensor), payload: Array(body.utf8), qos: .atLeastOnce) }
    }

    public func close() async {
        pump.withLock { $0?.cancel() }
        await client.disconnect()
    }
}
