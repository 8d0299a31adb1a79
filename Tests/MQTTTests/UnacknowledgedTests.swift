import Foundation
@testable import MQTT
import Testing
import TestSupport

@Suite("the client's count of unacknowledged publications")
struct UnacknowledgedTests {
    /// libmosquitto reports a QoS 0 message written and a QoS 1/2 one acknowledged through the
    /// same callback, with only the message id: a count alone would take the write for an
    /// acknowledgement and let a paced publisher run ahead.
    @Test("a QoS 0 write reported through the publish callback is not taken for an acknowledgement")
    func atMostOnceWriteIsNotAnAcknowledgement() {
        var unacknowledged = Unacknowledged()
        unacknowledged.published(1, qos: .atLeastOnce)
        unacknowledged.published(2, qos: .atMostOnce)
        unacknowledged.published(3, qos: .exactlyOnce)
        #expect(unacknowledged.count == 2)
        unacknowledged.publishCallback(2)
        #expect(unacknowledged.count == 2)
        unacknowledged.publishCallback(1)
        unacknowledged.publishCallback(3)
        #expect(unacknowledged.count == 0)
    }

    @Test("a QoS 0 message dropped with the connection leaves no id behind to swallow a later acknowledgement")
    func connectionLostForgetsUnwrittenAtMostOnce() {
        var unacknowledged = Unacknowledged()
        unacknowledged.published(7, qos: .atMostOnce)
        unacknowledged.connectionLost()
        // libmosquitto's message ids come round again.
        unacknowledged.published(7, qos: .atLeastOnce)
        unacknowledged.publishCallback(7)
        #expect(unacknowledged.count == 0)
    }

    /// Publications made while the broker is down wait in libmosquitto; a publisher paced by
    /// `waitForUnacknowledged(below:)` must be woken by their acknowledgements after the
    /// reconnection (a lost wake-up would hang it: the time limit catches that; it is generous,
    /// as the reconnection backoff on busy cores took over a minute once).
    @Test(
        "a publisher waiting for acknowledgements is woken by them after a reconnection",
        .timeLimit(.minutes(5)))
    func pacedPublisherWakesOnAcknowledgements() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let publisher = try await Connected.make(broker, id: "paced", cleanSession: false)
        broker.stop()
        try await publisher.recorder.wait(for: "the connection lost") { events in
            events.contains { if case .disconnected = $0 { true } else { false } }
        }
        for i in 0..<5 { try publisher.client.publish(topic: "paced/t", payload: [UInt8(i)], qos: .atLeastOnce) }
        #expect(publisher.client.unacknowledgedCount == 5)
        let client = publisher.client
        let released = Task {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                Thread {
                    client.waitForUnacknowledged(below: 1)
                    done.resume()
                }.start()
            }
        }
        try await broker.restart()
        await released.value
        #expect(publisher.client.unacknowledgedCount == 0)
        await publisher.close()
    }
}
