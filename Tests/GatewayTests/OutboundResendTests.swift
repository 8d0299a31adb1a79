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

    @Test(
        "what a restart or a reconnection sends again holds only the newest latest/ value of each sensor: an older one would replace, for a moment, a newer one the broker already retained"
    )
    func supersededLatestIsNotSentAgain() {
        func latest(_ sensor: String, _ seq: UInt64) -> Publication {
            Publication(kind: .latest, topic: "latest/\(sensor)/temperature", payload: [UInt8(seq)], retain: true)
        }
        func cleaned(_ sensor: String, _ seq: UInt64) -> Publication {
            Publication(kind: .cleaned, topic: "cleaned/\(sensor)/temperature", payload: [UInt8(seq)])
        }
        // Journal seqs 1-8: a and b interleaved, each cleaned message followed by its latest/ copy.
        let journal: [(UInt64, Publication)] = [
            (1, cleaned("a", 1)), (2, latest("a", 2)), (3, cleaned("b", 3)), (4, latest("b", 4)),
            (5, cleaned("a", 5)), (6, latest("a", 6)), (7, cleaned("a", 7)), (8, latest("a", 8)),
        ]
        var restarted = OutboundQueue(capacity: 100)
        for (seq, p) in journal { restarted.enqueue(seq: seq, p) }
        restarted.dropSupersededLatest(then: [], floor: [:])
        let kept = restarted.takeSendable(durableThrough: 8, maxInFlight: 100)
        #expect(kept.map(\.seq) == [1, 3, 4, 5, 7, 8])
        // The dropped ones count as acknowledged: once the kept ones are, the checkpoint passes all.
        for (i, entry) in kept.enumerated() { restarted.sent(entry, messageID: MessageID(Int32(i + 1))) }
        #expect(restarted.acknowledgedThrough(journalWritten: 8) == 0)
        for i in kept.indices { restarted.acknowledged(messageID: MessageID(Int32(i + 1))) }
        #expect(restarted.acknowledgedThrough(journalWritten: 8) == 8)

        // A newer value the restart publishes after them (regenerated: the journal's record of it,
        // maybe already sent, was destroyed) replaces the queued one too (found by the fault
        // simulator, seed 265: b's older value resent after the newer one had gone out).
        var regenerating = OutboundQueue(capacity: 100)
        for (seq, p) in journal { regenerating.enqueue(seq: seq, p) }
        regenerating.dropSupersededLatest(then: [cleaned("b", 9), latest("b", 10)], floor: [:])
        #expect(regenerating.takeSendable(durableThrough: 8, maxInFlight: 100).map(\.seq) == [1, 3, 5, 7, 8])

        var reconnected = OutboundQueue(capacity: 100)
        reconnected.refill(journal.map { OutboundQueue.Entry(seq: $0.0, publication: $0.1) }, complete: true)
        #expect(reconnected.takeSendable(durableThrough: 8, maxInFlight: 100).map(\.seq) == [1, 3, 4, 5, 7, 8])
    }

    @Test(
        "a restart sends no latest/ value older than the one the restored engine knows went out: the record of that newer one may be destroyed, with nothing queued to replace it (fault simulator, aimed seed 3)"
    )
    func latestBelowTheEnginesIsNotSentAgain() {
        func latest(_ sensor: String, ts: Int64) -> Publication {
            let json = #"{"sensor_id":"\#(sensor)","seq":\#(ts),"ts":\#(ts),"temperature":52.5,"status":"normal","quality":"ok"}"#
            return Publication(kind: .latest, topic: "latest/\(sensor)/temperature", payload: Array(json.utf8), retain: true)
        }
        let journal: [(UInt64, Publication)] = [(1, latest("a", ts: 100)), (2, latest("b", ts: 100)), (3, latest("c", ts: 100))]
        // The engine knows a's value went out at 200 (its record destroyed), b's at 100, c's not at all.
        let floor: [String: Int64] = ["latest/a/temperature": 200, "latest/b/temperature": 100]
        var restarted = OutboundQueue(capacity: 100)
        for (seq, p) in journal { restarted.enqueue(seq: seq, p) }
        restarted.dropSupersededLatest(then: [], floor: floor)
        #expect(restarted.takeSendable(durableThrough: 3, maxInFlight: 100).map(\.seq) == [2, 3])

        // The same when the restart's queue spilled to the journal and is read back later.
        var spilled = OutboundQueue(capacity: 1)
        for (seq, p) in journal { spilled.enqueue(seq: seq, p) }
        spilled.dropSupersededLatest(then: [], floor: floor)
        var sent: [UInt64] = []
        var id: Int32 = 1
        while true {
            let batch = spilled.takeSendable(durableThrough: 3, maxInFlight: 100)
            for entry in batch {
                sent.append(entry.seq)
                spilled.sent(entry, messageID: MessageID(id))
                spilled.acknowledged(messageID: MessageID(id))
                id += 1
            }
            guard spilled.needsRefill, let from = spilled.spilledFrom else { break }
            spilled.refill(journal.filter { $0.0 >= from }.map { OutboundQueue.Entry(seq: $0.0, publication: $0.1) }, complete: true)
        }
        #expect(sent == [2, 3])
    }

    @Test(
        "a journal record's publications are queued whole: past capacity the rest of a record begun in memory joins it, and the next record waits in the journal"
    )
    func recordsQueuedWhole() {
        func p(_ n: UInt8) -> Publication { Publication(kind: .cleaned, topic: "cleaned/s/temperature", payload: [n]) }
        var queue = OutboundQueue(capacity: 3)
        queue.enqueue(seq: 1, [p(1), p(2)][...])
        queue.enqueue(seq: 2, [p(3), p(4), p(5)][...])  // starts under capacity: taken whole
        queue.enqueue(seq: 3, [p(6)][...])  // spilled: read back from the journal later
        #expect(queue.waitingCount == 5)
        #expect(queue.spilledFrom == 3)
        let sent = queue.takeSendable(durableThrough: 3, maxInFlight: 100)
        #expect(sent.map(\.publication.payload) == [[1], [2], [3], [4], [5]])
        for (i, entry) in sent.enumerated() { queue.sent(entry, messageID: MessageID(Int32(i + 1))) }
        #expect(queue.acknowledgedThrough(journalWritten: 3) == 0)
        for id in 1...4 { queue.acknowledged(messageID: MessageID(Int32(id))) }
        // Record 2 is acknowledged in part: its seq stays unacknowledged, so a restart sends it whole.
        #expect(queue.acknowledgedThrough(journalWritten: 3) == 1)
    }
}
