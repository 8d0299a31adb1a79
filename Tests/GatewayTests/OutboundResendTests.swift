import MQTT
import Recovery
import Testing
@testable import Gateway

/// What a replaced broker connection had not seen acknowledged is sent again on the next one
/// (`BrokerReconnection`), read back from the journal from the oldest unacknowledged seq.
@Suite("Publications re-sent after a reconnection")
struct OutboundResendTests {
    @Test("everything from the oldest unacknowledged publication is read back and sent again; the checkpoint stays below it")
    func resendFromOldestUnacknowledged() {
        var queue = OutboundQueue(capacity: 100)
        for seq in UInt64(10)..<20 { queue.enqueue(seq: seq, Publication(kind: .cleaned, topic: "cleaned/s/temperature", payload: [UInt8(seq)])) }
        let sent = queue.takeSendable(durableThrough: 15, maxInFlight: 100)  // 10-15 sent, 16-19 wait
        for (i, entry) in sent.enumerated() { queue.sent(entry, messageID: MessageID(Int32(i + 1))) }
        queue.acknowledged(messageID: MessageID(1))  // seq 10
        queue.acknowledged(messageID: MessageID(3))  // seq 12 (11 is still out)
        #expect(queue.acknowledgedThrough(journalWritten: 19) == 10)

        queue.resendUnacknowledged()
        #expect(queue.inFlightCount == 0 && queue.waitingCount == 0)
        #expect(queue.spilledFrom == 11)
        #expect(queue.needsRefill)
        #expect(queue.acknowledgedThrough(journalWritten: 19) == 10)
        // A late acknowledgement for the old connection's ids changes nothing.
        #expect(queue.acknowledged(messageID: MessageID(2)) == nil)
        // New publications wait in the journal behind the ones to resend.
        queue.enqueue(seq: 20, Publication(kind: .cleaned, topic: "cleaned/s/temperature", payload: [20]))
        #expect(queue.waitingCount == 0)
    }
}
