import Foundation
import Sparkplug
import Testing

@testable import Recovery

/// Sparkplug B input, found black-box (twenty-ninth review): a message 129-255 late taken as
/// new data ahead, a birth delivered after its own session's data, two messages under one seq,
/// Float metrics widened with their float32 noise.
@Suite("Sparkplug input: late messages, late births, reused seqs, Float values")
struct SparkplugReviewTests {
    typealias E = SparkplugEngineTests
    static let temperature = "cleaned/Plant1.Line3/temperature"

    static func ts(_ p: Publication) -> Int64? { (p.json["ts"] as? NSNumber)?.int64Value }

    @Test(
        "a message 129-255 late, whose seq reads as ahead, is told late by its timestamp: it restates its fill (and a copy of it is a duplicate), with no fills ahead of the stream"
    )
    func lateBeyond128() {
        var h = E.harness()
        h.rawBytes(E.nbirth, E.nodeBirth())
        for seq in Array(1...50) + Array(251...260) {
            h.rawBytes(E.ndata, E.nodeData(seq: UInt64(seq), humidity: nil, at: E.t0 + UInt64(seq) * 1000))
        }
        h.advance(5000)
        h.advance(5000)
        let filled = h.log.filter { $0.topic == Self.temperature }
        #expect(filled.map(\.seq) == Array(0...260))
        #expect(filled.filter { $0.quality == "synthetic" }.map(\.seq) == Array(51...250))
        let before = h.log.count
        // Message 100, 160 late (its seq reads as 96 ahead of seq 4 = 260), then 250 (106 late),
        // then 100 again.
        h.rawBytes(E.ndata, E.nodeData(seq: 100, temperature: 55, humidity: nil, at: E.t0 + 100_000))
        h.rawBytes(E.ndata, E.nodeData(seq: 250, temperature: 54, humidity: nil, at: E.t0 + 250_000))
        h.rawBytes(E.ndata, E.nodeData(seq: 100, temperature: 55, humidity: nil, at: E.t0 + 100_000))
        h.advance(5000)
        h.advance(5000)
        let late = h.log[before...].filter { $0.topic == Self.temperature }
        #expect(late.summary == ["100:restated", "250:restated"])
        #expect(late.map(\.temperature) == [55, 54])
        #expect(late.map(Self.ts) == [Int64(E.t0) + 100_000, Int64(E.t0) + 250_000], "each at its own time")
        #expect(h.engine.counters.duplicates == 1, "message 100 twice")
        #expect(h.engine.counters.sparkplug.sequenceJumps == 1, "the loss of 200 only")
        #expect(h.engine.counters.sparkplug.lastSequenceJumpNode == "Plant1.Line3", "named for the log and /healthz")
        #expect(h.log.of(.deadLetter).isEmpty)
        // The stream goes on from 261.
        h.rawBytes(E.ndata, E.nodeData(seq: 261, humidity: nil, at: E.t0 + 261_000))
        h.advance(5000)
        #expect(h.log[before...].filter { $0.topic == Self.temperature }.summary.last == "261:ok")
    }

    @Test("a message whose seq reads as ahead but whose timestamp puts it before the node's birth is too late: no fills for it")
    func lateBeforeBirth() {
        var h = E.harness()
        h.rawBytes(E.nbirth, E.nodeBirth())
        for seq in 1...10 { h.rawBytes(E.ndata, E.nodeData(seq: UInt64(seq), humidity: nil, at: E.t0 + UInt64(seq) * 1000)) }
        // Seq 50 reads as 40 ahead; stamped 110 s before the newest message, it is 216 behind.
        h.rawBytes(E.ndata, E.nodeData(seq: 50, temperature: 60, humidity: nil, at: E.t0 - 100_000))
        h.advance(5000)
        h.advance(5000)
        let temps = h.log.filter { $0.topic == Self.temperature }
        #expect(temps.summary == (0...10).map { "\($0):ok" })
        #expect(h.log.of(.deadLetter).map(\.reason) == ["too_late"])
        #expect(h.log.of(.deadLetter).map(\.topic) == ["dlq/Plant1.Line3/sparkplug"])
        #expect(h.log.of(.resendRequest).count == 1, "a rebirth asked: the node's clock may have gone back past its birth")
    }

    @Test(
        "an edge node whose clock steps back, sending the same values again, is still read: a message whose stamp points to a place a message arrived at in order is ahead, as its seq says"
    )
    func clockStepsBack() {
        var h = E.harness()
        h.rawBytes(E.nbirth, E.nodeBirth())
        for seq in 1...300 { h.rawBytes(E.ndata, E.nodeData(seq: UInt64(seq), humidity: nil, at: E.t0 + UInt64(seq) * 1000)) }
        // 200 s back: by their stamps 301-305 are 255 behind, where 45-49 arrived saying the same.
        for seq in 301...305 { h.rawBytes(E.ndata, E.nodeData(seq: UInt64(seq), humidity: nil, at: E.t0 + UInt64(seq - 200) * 1000)) }
        h.advance(5000)
        h.advance(5000)
        let temps = h.log.filter { $0.topic == Self.temperature }
        #expect(temps.summary == (0...305).map { "\($0):ok" })
        #expect(h.engine.counters.duplicates == 0)
        #expect(h.log.of(.deadLetter).isEmpty)
    }

    @Test("a message ahead stamped a little before the newest one (within the jitter allowed): its fills take the newer time, never running backwards")
    func fillsNeverRunBackwards() {
        var h = E.harness()
        h.rawBytes(E.nbirth, E.nodeBirth())
        for seq in 1...10 { h.rawBytes(E.ndata, E.nodeData(seq: UInt64(seq), humidity: nil, at: E.t0 + UInt64(seq) * 1000)) }
        h.rawBytes(E.ndata, E.nodeData(seq: 13, temperature: 53, humidity: nil, at: E.t0 + 9_500))
        h.advance(5000)
        h.advance(5000)
        let temps = h.log.filter { $0.topic == Self.temperature }
        #expect(temps.summary.suffix(3) == ["11:synthetic", "12:synthetic", "13:ok"])
        let fills = temps.filter { $0.quality == "synthetic" }.compactMap(Self.ts)
        #expect(fills == [Int64(E.t0) + 10_000, Int64(E.t0) + 10_000])
    }

    @Test(
        "an NBIRTH delivered after its own session's first data: its value is the epoch's first reading, the data follows it, nothing filled; the same after an NDEATH"
    )
    func birthAfterItsData() {
        var h = E.harness()
        let values = [53.1, 53.2, 53.3, 53.4, 53.5, 53.6]
        for seq in 1...3 {
            h.rawBytes(E.ndata, E.nodeData(seq: UInt64(seq), temperature: values[seq - 1], humidity: nil, at: E.t0 + UInt64(seq) * 1000))
        }
        h.rawBytes(E.nbirth, E.nodeBirth())
        for seq in 4...6 {
            h.rawBytes(E.ndata, E.nodeData(seq: UInt64(seq), temperature: values[seq - 1], humidity: nil, at: E.t0 + UInt64(seq) * 1000))
        }
        h.advance(5000)
        h.advance(5000)
        let temps = h.log.filter { $0.topic == Self.temperature }
        #expect(temps.summary == (0...6).map { "\($0):ok" })
        #expect(temps.map(\.temperature) == [52] + values)
        #expect(h.engine.counters.sparkplug.birthRepeats == 0)
        #expect(h.engine.counters.sparkplug.readAfterBirth == 3)
        #expect(h.log.of(.deadLetter).isEmpty)

        // A new session after an NDEATH: its data 1-3 before its NBIRTH (another bdSeq).
        let start = h.log.count
        let later = E.t0 + 60_000
        h.rawBytes(
            "spBv1.0/Plant1/NDEATH/Line3",
            SparkplugPayload(timestamp: later, metrics: [SparkplugMetric(name: "bdSeq", datatype: .uint64, value: .long(0))]).serialized())
        for seq in 1...3 {
            h.rawBytes(E.ndata, E.nodeData(seq: UInt64(seq), temperature: values[seq - 1], humidity: nil, at: later + UInt64(seq) * 1000))
        }
        h.rawBytes(E.nbirth, E.nodeBirth(bdSeq: 1, at: later))
        for seq in 4...6 {
            h.rawBytes(E.ndata, E.nodeData(seq: UInt64(seq), temperature: values[seq - 1], humidity: nil, at: later + UInt64(seq) * 1000))
        }
        h.advance(5000)
        h.advance(5000)
        let epoch = h.log[start...].filter { $0.topic == Self.temperature }
        #expect(epoch.summary == (0...6).map { "\($0):ok" })
        #expect(epoch.map(\.temperature) == [52] + values)
        #expect(h.engine.counters.sparkplug.birthRepeats == 0)
        #expect(h.log.of(.deadLetter).isEmpty)
    }

    @Test(
        "a second message under a seq that arrived, saying another value, is dead-lettered bad_value:seq with its payload (held or released, and after a restore); an exact copy, or one stamped again, is a duplicate"
    )
    func reusedSeq() throws {
        var h = E.harness()
        h.rawBytes(E.nbirth, E.nodeBirth())
        for seq in 1...5 { h.rawBytes(E.ndata, E.nodeData(seq: UInt64(seq), humidity: nil, at: E.t0 + UInt64(seq) * 1000)) }
        h.advance(5000)
        let other = E.nodeData(seq: 5, temperature: 54.9, humidity: nil, at: E.t0 + 5_500)
        h.rawBytes(E.ndata, other)
        h.rawBytes(E.ndata, E.nodeData(seq: 5, temperature: 54.8, humidity: nil, at: E.t0 + 5_500))
        h.rawBytes(E.ndata, E.nodeData(seq: 5, humidity: nil, at: E.t0 + 5_000))  // a copy
        h.rawBytes(E.ndata, E.nodeData(seq: 5, humidity: nil, at: E.t0 + 5_300))  // stamped again
        var letters = h.log.of(.deadLetter)
        #expect(letters.map(\.reason) == ["bad_value:seq", "bad_value:seq"])
        #expect(letters.allSatisfy { $0.topic == "dlq/Plant1.Line3/sparkplug" })
        let kept = try #require(letters.first?.json["payload_base64"] as? String)
        #expect(Data(base64Encoded: kept).map(Array.init) == other, "the message kept, not lost")
        #expect(h.engine.counters.duplicates == 2)
        #expect(h.log.of(.resendRequest).count == 1, "a rebirth asked: the node's sequence and the gateway's disagree")
        // Held: seq 7 waits for the missing 6.
        h.rawBytes(E.ndata, E.nodeData(seq: 7, temperature: 52.7, humidity: nil, at: E.t0 + 7_000))
        h.rawBytes(E.ndata, E.nodeData(seq: 7, temperature: 57, humidity: nil, at: E.t0 + 7_000))
        letters = h.log.of(.deadLetter)
        #expect(letters.map(\.reason) == ["bad_value:seq", "bad_value:seq", "bad_value:seq"])
        // After a restore the comparison still holds.
        let header = try JSONDecoder().decode(RecoveryEngine.SnapshotHeader.self, from: JSONEncoder().encode(h.engine.snapshotHeader))
        let sensors = try (0..<h.engine.sensorCount).map {
            try JSONDecoder().decode(RecoveryEngine.SensorSnapshot.self, from: JSONEncoder().encode(h.engine.sensorSnapshot(at: $0)))
        }
        h.engine = RecoveryEngine(header: header, sensors: sensors)
        h.rawBytes(E.ndata, E.nodeData(seq: 5, temperature: 54.7, humidity: nil, at: E.t0 + 5_500))
        h.rawBytes(E.ndata, E.nodeData(seq: 5, humidity: nil, at: E.t0 + 5_000))
        #expect(h.log.of(.deadLetter).count == 4)
        #expect(h.engine.counters.duplicates == 3)
        h.advance(5000)
        h.advance(5000)
        let temps = h.log.filter { $0.topic == Self.temperature }
        #expect(temps.summary == ["0:ok", "1:ok", "2:ok", "3:ok", "4:ok", "5:ok", "6:synthetic", "7:ok"])
        #expect(temps.map(\.temperature).suffix(1) == [52.7])
        #expect(!temps.contains { [54.9, 54.8, 54.7, 57].contains($0.temperature ?? 0) })
    }

    @Test("a Float metric is read as its shortest decimal (41.3, not 41.29999923706055), and judged against the range as that")
    func floatValues() {
        var h = Harness { c in
            c.sparkplugFilter = "spBv1.0/#"
            c.sparkplugMetrics = ["Oven/Temperature": "temperature"]
            c.measurements = [MeasurementDefinition(name: "humidity", unit: "%RH", validMin: 41.3, validMax: 99.9)]
        }
        let birth = SparkplugPayload(
            timestamp: E.t0, seq: 0,
            metrics: [
                SparkplugMetric(name: "bdSeq", timestamp: E.t0, datatype: .uint64, value: .long(0)),
                SparkplugMetric(name: "humidity", alias: 2, timestamp: E.t0, datatype: .float, value: .float(41.3)),
            ]
        ).serialized()
        h.rawBytes(E.nbirth, birth)
        h.rawBytes(E.ndata, E.nodeData(seq: 1, temperature: nil, humidity: 99.9, at: E.t0 + 1000))
        h.rawBytes(E.ndata, E.nodeData(seq: 2, temperature: nil, humidity: 0.1, at: E.t0 + 2000))
        h.advance(5000)
        h.advance(5000)
        let humidity = h.log.filter { $0.topic == "cleaned/Plant1.Line3/humidity" }
        #expect(humidity.map { $0.value("humidity") } == [41.3, 99.9, 99.9])
        #expect(humidity.summary == ["0:ok", "1:ok", "2:corrected"])
        let text = humidity.map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(text.first?.contains("\"humidity\":41.3") == true, "\(text)")
        #expect(h.log.of(.deadLetter).map(\.reason) == ["out_of_range"], "0.1 only")
    }

    @Test(
        "an edge node whose clock steps back after a rebirth: what it sends, stamped before the rebirth, is too late and a rebirth is asked, which restarts the sequence at its new time (found black-box, 72nd review)"
    )
    func clockBackAfterRebirth() {
        var h = E.harness()
        h.rawBytes(E.nbirth, E.nodeBirth())
        h.rawBytes(E.ndata, E.nodeData(seq: 1, temperature: 52.1, humidity: nil, at: E.t0 + 1000))
        h.rawBytes(E.nbirth, E.nodeBirth(at: E.t0 + 5000))  // a rebirth: the same bdSeq
        let back = E.t0 + 5000 - 3_600_000  // then the node's clock goes back an hour
        for seq in 1...3 { h.rawBytes(E.ndata, E.nodeData(seq: UInt64(seq), temperature: 53, humidity: nil, at: back + UInt64(seq) * 1000)) }
        #expect(h.log.of(.deadLetter).map(\.reason) == ["too_late", "too_late", "too_late"], "kept, with their payloads")
        #expect(h.log.of(.resendRequest).map(\.topic) == ["spBv1.0/Plant1/NCMD/Line3"], "one rebirth asked, not one per message")
        // The rebirth it was asked for, at its new time: what it sends is read again.
        h.rawBytes(E.nbirth, E.nodeBirth(at: back + 4000))
        for seq in 1...2 { h.rawBytes(E.ndata, E.nodeData(seq: UInt64(seq), temperature: 54, humidity: nil, at: back + 4000 + UInt64(seq) * 1000)) }
        h.advance(5000)
        h.advance(5000)
        let temps = h.log.filter { $0.topic == Self.temperature }
        #expect(temps.map(\.temperature).suffix(2) == [54, 54])
        #expect(temps.allSatisfy { $0.quality == "ok" })
        #expect(h.log.of(.deadLetter).count == 3)
    }
}
