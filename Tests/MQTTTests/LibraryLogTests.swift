import Logging
import MQTT
import Synchronization
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

    /// The client side of a reload to debug (67th review): the log callback follows the
    /// library logger's level while the client runs. The gateway's side of that finding (it set
    /// the logger only when started at debug) is `HangupReconnectTests.reloadToDebugForwardsTheLibrarysLog`.
    @Test("the library logger's level is followed while the client runs: nothing forwarded at info, the packets once it is debug")
    func followsTheLevel() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let log = CapturedLog()
        let level = LevelBox()
        let client = try await Connected.make(broker, id: "relogged", cleanSession: true) { config in
            config.libraryLogger = log.logger(label: "libmosquitto") { level.value }
        }
        let first = try client.client.publish(topic: "t/x", payload: [1], qos: .atLeastOnce)
        try await client.recorder.wait(for: "PUBACK") { $0.contains(.published(messageID: first)) }
        #expect(log.lines.isEmpty, "\(log.messages)")
        level.value = .debug
        try await waitUntil("libmosquitto's lines forwarded", timeout: .seconds(60)) {
            _ = try? client.client.publish(topic: "t/x", payload: [2], qos: .atLeastOnce)
            try await Task.sleep(for: .milliseconds(100))
            return log.lines.contains { $0.level == .debug && $0.message.contains("PUBLISH") }
        }
        await client.close()
    }

    /// A level one test changes while the client runs.
    final class LevelBox: Sendable {
        private let stored = Mutex(Logger.Level.info)
        var value: Logger.Level {
            get { stored.withLock { $0 } }
            set { stored.withLock { $0 = newValue } }
        }
    }
}
