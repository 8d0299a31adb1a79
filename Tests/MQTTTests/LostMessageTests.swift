import Foundation
import Synchronization
import Testing
import TestSupport
@testable import MQTT

/// A sink whose store fails: it takes messages and keeps none of them.
private final class FailingSink: MQTTMessageSink {
    private let taken = Mutex<[String]>([])
    /// What it was handed (and lost).
    var lost: [String] { taken.withLock { $0 } }
    func accept(topic: String, payload: UnsafeRawBufferPointer) -> Bool {
        taken.withLock { $0.append(String(decoding: payload, as: UTF8.self)) }
        return true
    }
    func endOfBurst() {}
    var acceptsMore: Bool { !lostAcceptedMessages }
    var lostAcceptedMessages: Bool { taken.withLock { !$0.isEmpty } }
}

@Suite("A sink that loses what it accepted")
struct LostMessageTests {
    @Test("its acknowledgements never leave: the connection is cut and the broker delivers the messages again to the session")
    func lostMessageIsRedelivered() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let publisher = try await Connected.make(broker, id: "lost-pub", cleanSession: true)
        // The session (and its subscription) first, with an ordinary client.
        let first = try await Connected.make(broker, id: "lost-sub")
        try await first.subscribe("lost/#")
        await first.close()

        let sink = FailingSink()
        var config = MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "lost-sub")
        config.cleanSession = false
        let failing = try MQTTClient(config, sink: sink)
        try failing.start()
        let recorder = EventRecorder()
        await recorder.record(failing)
        try await recorder.wait(for: "connected") { $0.contains { if case .connected = $0 { true } else { false } } }
        for i in 0..<5 { _ = try publisher.client.publish(topic: "lost/t", payload: Array("m\(i)".utf8), qos: .atLeastOnce) }
        // The sink was handed at least one message (its acknowledgement queued), then lost it.
        try await waitUntil("the failing sink to take a message") { !sink.lost.isEmpty }
        await failing.disconnect()
        await recorder.stop()

        let again = try await Connected.make(broker, id: "lost-sub")
        try await again.recorder.wait(for: "what the sink lost delivered again", timeout: .seconds(30)) {
            Set($0.messages.map { String(decoding: $0.payload, as: UTF8.self) }).isSuperset(of: sink.lost)
        }
        let redelivered = Set(await again.recorder.messages.map { String(decoding: $0.payload, as: UTF8.self) })
        #expect(redelivered.isSuperset(of: Set(sink.lost)), "lost for good: \(Set(sink.lost).subtracting(redelivered))")
        await again.close()
        await publisher.close()
    }
}
