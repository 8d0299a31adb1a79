import Foundation
import MQTT
import Sparkplug
import Synchronization
import TestSupport
import Testing

@testable import Gateway
@testable import Recovery

/// The gateway's own edge node as pure logic: what it makes of cleaned messages, in which order,
/// with which seqs (docs/SPARKPLUG.md, "The cleaned stream as an edge node").
@Suite("Sparkplug edge node output")
struct SparkplugEdgeNodeTests {
    let id = SparkplugEdgeNodeID("Cleaned/gw")!

    static func cleaned(
        _ sensor: String, seq: UInt64, value: Double, quality: Quality = .ok, ts: Int64? = nil, measurement: String = "temperature",
        boot: Int64? = nil
    )
        -> Publication
    {
        var reading = ReleasedReading(
            sensorID: sensor, seq: seq, ts: ts ?? 1_000 * Int64(seq), temperature: value, status: .normal, quality: quality,
            supersedes: quality == .restated ? .synthetic : nil)
        reading.boot = boot
        return Publication(kind: .cleaned, topic: "cleaned/\(sensor)/\(measurement)", released: reading, payload: reading.render(), retain: false)
    }

    static func decoded(_ messages: [SparkplugEdgeNode.Message]) throws -> [(String, SparkplugPayload)] {
        try messages.map { ($0.topic, try SparkplugPayload(decoding: $0.payload)) }
    }

    @Test("NBIRTH with seq 0 and bdSeq; a new device's DBIRTH names its metric with its alias and carries the first value; data by alias only")
    func birthsThenData() throws {
        var node = SparkplugEdgeNode(id: id)
        node.birth(bdSeq: 7, now: 100)
        let shown = [
            node.show(Self.cleaned("s1", seq: 0, value: 51), now: 100), node.show(Self.cleaned("s1", seq: 1, value: 52), now: 100),
            node.show(Publication(kind: .resendRequest, topic: "sensors/s1/resend", payload: []), now: 100),
        ]
        #expect(shown == [true, true, false], "only cleaned messages")
        let out = try Self.decoded(node.take(now: 101))
        #expect(out.map(\.0) == ["spBv1.0/Cleaned/NBIRTH/gw", "spBv1.0/Cleaned/DBIRTH/gw/s1", "spBv1.0/Cleaned/DDATA/gw/s1"])
        #expect(out.map { $0.1.seq } == [0, 1, 2])
        #expect(out[0].1.metrics.contains { $0.name == "bdSeq" && $0.value == .long(7) })
        #expect(out[0].1.metrics.contains { $0.name == "Node Control/Rebirth" && $0.value == .boolean(false) })
        let born = try #require(out[1].1.metrics.first)
        #expect(born.name == "temperature" && born.alias == 1 && born.datatype == .double && born.value == .double(51) && born.quality == 192)
        let data = try #require(out[2].1.metrics.first)
        #expect(data.name == nil && data.alias == 1 && data.value == .double(52) && data.timestamp == 1_000)
        #expect(data.property("flag") == .string("ok") && data.property("seq") == .uint64(1))
        #expect(data.property("boot") == nil, "a stream without boot")
    }

    @Test("a value of a stream with a boot names it beside seq: each boot's seqs start again (found black-box, 64th review)")
    func bootBesideSeq() throws {
        var node = SparkplugEdgeNode(id: id)
        node.birth(bdSeq: 1, now: 100)
        node.show(Self.cleaned("s1", seq: 7, value: 51, boot: 3), now: 100)
        node.show(Self.cleaned("s1", seq: 0, value: 52, boot: 4), now: 100)
        let out = try Self.decoded(node.take(now: 101))
        let values = out.flatMap { $0.1.metrics.filter { $0.name != "bdSeq" && $0.property("seq") != nil } }
        #expect(values.map { $0.property("boot") } == [.uint64(3), .uint64(4)])
        #expect(values.map { $0.property("seq") } == [.uint64(7), .uint64(0)])
    }

    @Test("a backlog of one stream going out in one send: one value per metric in each DDATA, in order, seqs running on")
    func oneValuePerMetricPerMessage() throws {
        var node = SparkplugEdgeNode(id: id)
        node.birth(bdSeq: 1, now: 100)
        node.show(Self.cleaned("s1", seq: 0, value: 51), now: 100)
        _ = node.take(now: 100)
        for seq in UInt64(1)...5 {
            node.show(Self.cleaned("s1", seq: seq, value: 50 + Double(seq)), now: 100)
            node.show(Self.cleaned("s1", seq: seq, value: 40 + Double(seq), measurement: "humidity"), now: 100)
        }
        let out = try Self.decoded(node.take(now: 101))
        let data = out.filter { $0.0 == "spBv1.0/Cleaned/DDATA/gw/s1" }
        #expect(data.count == 5, "one DDATA per backlog step: \(out.map(\.0))")
        for (_, payload) in data { #expect(Set(payload.metrics.compactMap(\.alias)).count == payload.metrics.count, "no alias twice in one message") }
        let temperatures = data.flatMap { $0.1.metrics.filter { $0.alias == 1 } }
        #expect(temperatures.map(\.value) == (1...5).map { .double(50 + Double($0)) })
        let seqs = out.compactMap { $0.1.seq }
        let first = try #require(seqs.first)
        #expect(seqs == Array(first..<first + UInt64(seqs.count)), "seq runs on without a break")
    }

    @Test("quality codes: ok 192; corrected, synthetic, restated 64 (restated historical); a gap null with code 0 and its seqs")
    func qualities() throws {
        var node = SparkplugEdgeNode(id: id)
        node.birth(bdSeq: 0, now: 0)
        node.show(Self.cleaned("s1", seq: 0, value: 51), now: 0)
        node.show(Self.cleaned("s1", seq: 1, value: 52, quality: .corrected), now: 0)
        node.show(Self.cleaned("s1", seq: 2, value: 53, quality: .synthetic), now: 0)
        let gap = GapNotice(sensorID: "s1", fromSeq: 3, toSeq: 9, fromTs: 2_000, toTs: 10_000)
        node.show(Publication(kind: .cleaned, topic: "cleaned/s1/temperature", payload: gap.render()), now: 0)
        node.show(Self.cleaned("s1", seq: 2, value: 53.5, quality: .restated), now: 0)
        let messages = try Self.decoded(node.take(now: 0)).filter { $0.0 == "spBv1.0/Cleaned/DDATA/gw/s1" }
        #expect(messages.count == 4, "one value of the metric in each")
        let data = messages.flatMap(\.1.metrics)
        #expect(data.map(\.quality) == [64, 64, 0, 64])
        #expect(data.map(\.isHistorical) == [false, false, false, true])
        #expect(data[2].value == .null && data[2].property("seq") == .uint64(3) && data[2].property("to_seq") == .uint64(9))
        #expect(data.map { $0.property("flag") } == ["corrected", "synthetic", "gap", "restated"].map { .string($0) })
    }

    @Test("a new metric of a known device: its data so far, then a DBIRTH with both metrics (the older one's last value), aliases unique across devices")
    func newMetricRebirthsTheDevice() throws {
        var node = SparkplugEdgeNode(id: id)
        node.birth(bdSeq: 0, now: 0)
        node.show(Self.cleaned("s1", seq: 0, value: 51), now: 0)
        node.show(Self.cleaned("s2", seq: 0, value: 40), now: 0)
        node.show(Self.cleaned("s1", seq: 1, value: 52), now: 0)
        node.show(Self.cleaned("s1", seq: 0, value: 30, measurement: "humidity"), now: 0)
        node.show(Self.cleaned("s1", seq: 1, value: 31, measurement: "humidity"), now: 0)
        let out = try Self.decoded(node.take(now: 0))
        #expect(
            out.map(\.0) == [
                "spBv1.0/Cleaned/NBIRTH/gw", "spBv1.0/Cleaned/DBIRTH/gw/s1", "spBv1.0/Cleaned/DBIRTH/gw/s2", "spBv1.0/Cleaned/DDATA/gw/s1",
                "spBv1.0/Cleaned/DBIRTH/gw/s1", "spBv1.0/Cleaned/DDATA/gw/s1",
            ])
        let rebirth = out[4].1.metrics
        #expect(rebirth.map(\.name) == ["temperature", "humidity"] && rebirth.map(\.alias) == [1, 3])
        #expect(rebirth.map(\.value) == [.double(52), .double(30)])
        #expect(out[2].1.metrics.map(\.alias) == [2])
        #expect(out[5].1.metrics.map(\.alias) == [3] && out[5].1.metrics.map(\.value) == [.double(31)])
    }

    @Test("seq runs 0-255 and wraps, births included; a rebirth starts it at 0 again with every device's birth, carrying the newest value, not a restated one")
    func seqWrapsAndRebirth() throws {
        var node = SparkplugEdgeNode(id: id)
        node.birth(bdSeq: 3, now: 0)
        var seqs: [UInt64] = []
        for i in UInt64(0)..<300 {
            node.show(Self.cleaned("s1", seq: i, value: 50 + Double(i % 50) / 10), now: 0)
            seqs += try Self.decoded(node.take(now: 0)).compactMap { $0.1.seq }
        }
        #expect(seqs == (0..<301).map { UInt64($0 % 256) })
        node.show(Self.cleaned("s1", seq: 10, value: 55, quality: .restated), now: 0)
        node.birth(bdSeq: 3, now: 1)
        let out = try Self.decoded(node.take(now: 1))
        #expect(out.map(\.0) == ["spBv1.0/Cleaned/NBIRTH/gw", "spBv1.0/Cleaned/DBIRTH/gw/s1"] && out.map { $0.1.seq } == [0, 1])
        #expect(out[1].1.metrics.first?.property("seq") == .uint64(299), "the newest reading, not the restated seq 10")
    }

    @Test("while no session is up nothing is made; the values shown reach the next births")
    func offline() throws {
        var node = SparkplugEdgeNode(id: id)
        node.show(Self.cleaned("s1", seq: 0, value: 51), now: 0)
        node.show(Self.cleaned("s1", seq: 1, value: 52), now: 0)
        #expect(node.take(now: 0).isEmpty && node.unsent == 2)
        node.birth(bdSeq: 1, now: 5)
        let out = try Self.decoded(node.take(now: 5))
        #expect(out.map(\.0) == ["spBv1.0/Cleaned/NBIRTH/gw", "spBv1.0/Cleaned/DBIRTH/gw/s1"])
        #expect(out[1].1.metrics.first?.value == .double(52))
        node.offline()
        node.show(Self.cleaned("s1", seq: 2, value: 53), now: 0)
        #expect(node.take(now: 0).isEmpty)
    }

    @Test("the death carries the bdSeq it is given; node ids are checked")
    func deathAndIDs() throws {
        let death = try SparkplugPayload(decoding: SparkplugEdgeNode.death(id, bdSeq: 9, now: 4).payload)
        #expect(death.metrics.map(\.name) == ["bdSeq"] && death.metrics.first?.value == .long(9) && death.seq == nil)
        #expect(SparkplugEdgeNode.death(id, bdSeq: 9, now: 4).topic == "spBv1.0/Cleaned/NDEATH/gw")
        for bad in ["Cleaned", "Cleaned/", "/gw", "a/b/c", "a+/gw", "a/#", "", "a b/gw", "STATE/gw", "a/g\tw"] {
            #expect(SparkplugEdgeNodeID(bad) == nil, "\(bad)")
        }
    }
}

@Suite("Sparkplug edge node output: forgetting and rebirths")
struct SparkplugEdgeNodeLifecycleTests {
    let id = SparkplugEdgeNodeID("Cleaned/gw")!

    static func expired(_ sensor: String, measurement: String? = nil) -> Publication {
        let topic = "gateway/gw/sensors/\(sensor)" + (measurement.map { "/\($0)" } ?? "")
        return Publication(kind: .sensorState, topic: topic, payload: Messages.sensorState(.expired, lastSeq: 1, lastSeen: 0), retain: true)
    }

    @Test("an expired stream leaves its device (a DBIRTH without it); the last one's expiry is the device's DDEATH, and it is forgotten")
    func expiredStreamsLeave() throws {
        var node = SparkplugEdgeNode(id: id)
        node.birth(bdSeq: 0, now: 0)
        node.show(SparkplugEdgeNodeTests.cleaned("s1", seq: 0, value: 51), now: 0)
        node.show(SparkplugEdgeNodeTests.cleaned("s1", seq: 0, value: 30, measurement: "humidity"), now: 0)
        _ = node.take(now: 0)
        node.show(SparkplugEdgeNodeTests.cleaned("s1", seq: 1, value: 52), now: 0)
        node.show(Self.expired("s1"), now: 0)
        var out = try SparkplugEdgeNodeTests.decoded(node.take(now: 0))
        #expect(out.map(\.0) == ["spBv1.0/Cleaned/DDATA/gw/s1", "spBv1.0/Cleaned/DBIRTH/gw/s1"], "its data first, then the birth without it")
        #expect(out[1].1.metrics.map(\.name) == ["humidity"])
        node.show(Self.expired("s1", measurement: "humidity"), now: 0)
        node.show(Self.expired("never-seen"), now: 0)
        out = try SparkplugEdgeNodeTests.decoded(node.take(now: 0))
        #expect(out.map(\.0) == ["spBv1.0/Cleaned/DDEATH/gw/s1"] && node.deviceCount == 0)
        node.birth(bdSeq: 0, now: 1)
        #expect(try SparkplugEdgeNodeTests.decoded(node.take(now: 1)).map(\.0) == ["spBv1.0/Cleaned/NBIRTH/gw"], "no birth of a forgotten device")
    }

    @Test("a new node id (SIGHUP) keeps the devices and their last values: the births under the new id")
    func renamed() throws {
        var node = SparkplugEdgeNode(id: id)
        node.birth(bdSeq: 0, now: 0)
        node.show(SparkplugEdgeNodeTests.cleaned("s1", seq: 3, value: 51), now: 0)
        _ = node.take(now: 0)
        node.id = SparkplugEdgeNodeID("Other/gw2")!
        #expect(!node.isOnline, "a new id is a new session")
        node.birth(bdSeq: 1, now: 0)
        let out = try SparkplugEdgeNodeTests.decoded(node.take(now: 0))
        #expect(out.map(\.0) == ["spBv1.0/Other/NBIRTH/gw2", "spBv1.0/Other/DBIRTH/gw2/s1"])
        #expect(out[1].1.metrics.first?.property("seq") == .uint64(3))
    }

    @Test("thousands of sensors forgotten and seen again: each device born once in a rebirth, none of the forgotten")
    func churn() throws {
        var node = SparkplugEdgeNode(id: id)
        for round in 0..<3 {
            for i in 0..<2_000 { node.show(SparkplugEdgeNodeTests.cleaned("s\(i)", seq: UInt64(round), value: 51), now: 0) }
            for i in 0..<1_500 { node.show(Self.expired("s\(i)"), now: 0) }
        }
        #expect(node.deviceCount == 500)
        node.birth(bdSeq: 0, now: 0)
        let topics = node.take(now: 0).map(\.topic)
        #expect(topics.count == 501 && Set(topics).count == 501)
    }

    @Test("a host asking for rebirths in a loop gets one every 2 s at most; the one asked within the interval comes when it ends")
    func rebirthsAreRateLimited() async throws {
        let clock = Mutex<Int64>(1_000_000)
        // Never started: every publish fails, which the counters show without a broker.
        let client = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: 1, clientID: "unused"))
        let log = CapturedLog()
        let output = SparkplugEdgeNodeOutput(id: id, client: client, logger: log.logger(), monotonicNow: { clock.withLock { $0 } })
        output.connected(bdSeq: 4)
        let ask = SparkplugPayload(metrics: [SparkplugMetric(name: "Node Control/Rebirth", datatype: .boolean, value: .boolean(true))]).serialized()
        for _ in 0..<50 { output.command(ask) }
        #expect(output.counters.rebirths == 1)
        clock.withLock { $0 += 1_999 }
        output.send()
        #expect(output.counters.rebirths == 1)
        clock.withLock { $0 += 1 }
        output.send()
        #expect(output.counters.rebirths == 2, "the waiting request, answered once")
        clock.withLock { $0 += 10_000 }
        output.send()
        #expect(output.counters.rebirths == 2)
        output.command(SparkplugPayload(metrics: [SparkplugMetric(name: "Other", datatype: .boolean, value: .boolean(true))]).serialized())
        output.command([0xFF, 0x01])
        clock.withLock { $0 += 10_000 }
        output.command(ask, device: "s1")
        output.send()
        #expect(output.counters.rebirths == 2, "other commands, garbage and DCMDs are not rebirths")
        for _ in 0..<997 { output.command([0xFF]) }
        let ignored = log.lines.filter { $0.message.contains("ignored a command that is not a rebirth request") }
        #expect(ignored.map { $0.metadata["ignored"] } == ["1", "1000"], "the first and the 1,000th")
        #expect(ignored.map { $0.metadata["kind"] } == ["NCMD", "NCMD"])
        #expect(output.counters.failed == 3 && output.counters.births == 0, "three NBIRTHs refused by a client never started")
    }
}

@Suite("Sparkplug edge node output: reaching anyone")
struct SparkplugOutputHealthTests {
    let id = SparkplugEdgeNodeID("Cleaned/gw")!

    static func birth(bdSeq: UInt64) -> [UInt8] {
        SparkplugPayload(seq: 0, metrics: [SparkplugEdgeNode.bdSeqMetric(bdSeq, now: 0)]).serialized()
    }

    @Test("up only once its own NBIRTH of this session comes back; down again when the connection goes; said after 10 s; born again every 30 s while unheard")
    func upWhenHeard() throws {
        let clock = Mutex<Int64>(5_000)
        let client = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: 1, clientID: "unused"))
        let log = CapturedLog()
        let output = SparkplugEdgeNodeOutput(id: id, client: client, logger: log.logger(), monotonicNow: { clock.withLock { $0 } })
        #expect(!output.isUp && output.counters.downSince == 5_000 && output.counters.downReason?.contains("connection") == true)
        output.connected(bdSeq: 4)
        #expect(!output.isUp && output.counters.downReason?.contains("ACL") == true, "born, not heard")
        output.heardBirth(Self.birth(bdSeq: 3))
        #expect(!output.isUp, "another session's birth")
        clock.withLock { $0 += 10_001 }
        output.send()
        #expect(log.lines.contains { $0.level == .error && $0.message.contains("reaches no one") })
        let failedBefore = output.counters.failed
        clock.withLock { $0 += 20_000 }
        output.send()
        #expect(output.counters.failed == failedBefore + 1, "born again (its NBIRTH refused by a client never started)")
        output.heardBirth(Self.birth(bdSeq: 4))
        #expect(output.isUp && output.counters.up && output.counters.downSince == nil && output.counters.downReason == nil)
        output.disconnected()
        #expect(!output.isUp && output.counters.downSince == 35_001)
        output.connected(bdSeq: 5)
        output.confirmationRefused()
        #expect(output.isUp, "a broker that will not echo the birth: taken at its word")
    }
}

@Suite("Sparkplug edge node output: a primary host")
struct SparkplugPrimaryHostTests {
    @Test("with a primary host: connected but not born until its STATE says online; offline, not up again until it is back")
    func waitsForTheHost() throws {
        let client = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: 1, clientID: "unused"))
        let output = SparkplugEdgeNodeOutput(
            id: SparkplugEdgeNodeID("Cleaned/gw")!, client: client, logger: CapturedLog().logger(), primaryHost: "scada", monotonicNow: { 0 })
        output.connected(bdSeq: 2)
        #expect(output.counters.failed == 0 && output.counters.births == 0, "no birth tried")
        #expect(!output.isUp && output.counters.downReason?.contains("waits for its primary host scada") == true)
        output.primaryHost(online: true)
        #expect(output.counters.failed == 1, "the NBIRTH, refused by a client never started")
        output.heardBirth(SparkplugOutputHealthTests.birth(bdSeq: 2))
        #expect(output.isUp)
        output.primaryHost(online: false)
        #expect(!output.isUp && output.counters.downReason?.contains("waits for its primary host") == true)
        output.primaryHost(online: true)
        #expect(output.counters.failed == 2, "born again on the same connection")
    }

    @Test("the 10 s before it says its birth is unheard count from the birth, not from the wait for the primary host")
    func waitIsNotUnheard() throws {
        let client = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: 1, clientID: "unused"))
        let log = CapturedLog()
        let clock = Mutex<Int64>(0)
        let output = SparkplugEdgeNodeOutput(
            id: SparkplugEdgeNodeID("Cleaned/gw")!, client: client, logger: log.logger(), primaryHost: "scada", monotonicNow: { clock.withLock { $0 } })
        output.connected(bdSeq: 2)
        clock.withLock { $0 += 40_000 }
        output.send()
        output.primaryHost(online: true, timestamp: 1)
        output.send()
        #expect(!log.lines.contains { $0.message.contains("reaches no one") }, "born just now")
        clock.withLock { $0 += 10_001 }
        output.send()
        #expect(log.lines.contains { $0.level == .error && $0.message.contains("reaches no one") }, "unheard 10 s after the birth")
    }

    @Test("a STATE older than the one taken (an earlier session's will, delivered late) is ignored, logged the first time")
    func staleStateIgnored() throws {
        let client = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: 1, clientID: "unused"))
        let log = CapturedLog()
        let output = SparkplugEdgeNodeOutput(
            id: SparkplugEdgeNodeID("Cleaned/gw")!, client: client, logger: log.logger(), primaryHost: "scada", monotonicNow: { 0 })
        output.connected(bdSeq: 2)
        output.primaryHost(online: true, timestamp: 1_000)
        output.heardBirth(SparkplugOutputHealthTests.birth(bdSeq: 2))
        #expect(output.isUp)
        output.primaryHost(online: false, timestamp: 999)
        output.primaryHost(online: false, timestamp: 5)
        #expect(output.isUp, "older offline STATEs do not end the session")
        #expect(log.lines.filter { $0.message.contains("older than the one taken") }.count == 1)
        output.primaryHost(online: false, timestamp: 1_000)
        #expect(!output.isUp, "one as new as the online one does")
    }
}

@Suite("Sparkplug bdSeq store")
struct SparkplugBirthCounterTests {
    @Test("bdSeq: 0 at a first start, one more per connection, 255 wraps to 0, kept in the file for the next run")
    func counts() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("sparkplug-bdseq")
        let log = CapturedLog()
        let first = SparkplugBirthCounter(path: path, logger: log.logger())
        #expect(first.current == nil)
        #expect([first.nextForConnect(), first.nextForConnect()] == [0, 1] && first.current == 1)
        try "254\n".write(toFile: path, atomically: true, encoding: .utf8)
        let next = SparkplugBirthCounter(path: path, logger: log.logger())
        #expect([next.nextForConnect(), next.nextForConnect()] == [255, 0])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "0\n")
        #expect(log.lines.isEmpty)
    }

    @Test("a damaged file is said, and the count goes on from the clock (not from 0, which an old session may have used)")
    func damaged() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("sparkplug-bdseq")
        for text in ["garbage", "300", ""] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let log = CapturedLog()
            let counter = SparkplugBirthCounter(path: path, logger: log.logger(), epochSeconds: 1_000_000 + 41)
            #expect(counter.nextForConnect() == UInt64((1_000_041 + 1) % 256), "\(text)")
            #expect(log.lines.contains { $0.message.contains("not a readable number 0-255") && $0.level == .warning }, "\(text)")
        }
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let log = CapturedLog()
        #expect(SparkplugBirthCounter(path: path, logger: log.logger(), epochSeconds: 1_000_041).nextForConnect() == 106, "not a file: from the clock too")
        #expect(log.lines.contains { $0.message.contains("not a readable number 0-255") })
    }
}
