import Logging
import MQTT
import Synchronization
import Testing
import TestSupport

@Suite("libmosquitto's log")
struct LibraryLogTests {
    /// Collects log lines in memory (a per-logger handler: no global bootstrap in tests).
    final class Lines: Sendable {
        let lines = Mutex<[(Logger.Level, String)]>([])
    }

    struct Capture: LogHandler {
        let store: Lines
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            store.lines.withLock { $0.append((event.level, "\(event.message)")) }
        }
    }

    @Test("with a library logger, libmosquitto's own lines arrive at swift-log levels")
    func forwarded() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let store = Lines()
        let client = try await Connected.make(broker, id: "logged", cleanSession: true) { config in
            config.libraryLogger = Logger(label: "libmosquitto") { _ in Capture(store: store) }
        }
        let mid = try client.client.publish(topic: "t/x", payload: [1], qos: .atLeastOnce)
        try await client.recorder.wait(for: "PUBACK") { $0.contains(.published(messageID: mid)) }
        await client.close()
        let lines = store.lines.withLock { $0 }
        // libmosquitto logs each packet it sends and receives at MOSQ_LOG_DEBUG.
        #expect(lines.contains { $0.0 == .debug && $0.1.contains("sending CONNECT") }, "\(lines)")
        #expect(lines.contains { $0.1.contains("received PUBACK") }, "\(lines)")
    }
}
