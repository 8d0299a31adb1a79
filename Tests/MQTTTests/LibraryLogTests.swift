import Logging
import MQTT
import Testing
import TestSupport

@Suite("libmosquitto's log")
struct LibraryLogTests {
    @Test("with a library logger, libmosquitto's own lines arrive at swift-log levels")
    func forwarded() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let log = CapturedLog()
        let client = try await Connected.make(broker, id: "logged", cleanSession: true) { config in
            config.libraryLogger = log.logger(label: "libmosquitto")
        }
        let mid = try client.client.publish(topic: "t/x", payload: [1], qos: .atLeastOnce)
        try await client.recorder.wait(for: "PUBACK") { $0.contains(.published(messageID: mid)) }
        await client.close()
        let lines = log.lines
        // libmosquitto logs each packet it sends and receives at MOSQ_LOG_DEBUG.
        #expect(lines.contains { $0.level == .debug && $0.message.contains("sending CONNECT") }, "\(log.messages)")
        #expect(lines.contains { $0.message.contains("received PUBACK") }, "\(log.messages)")
    }
}
