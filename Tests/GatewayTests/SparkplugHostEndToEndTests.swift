import Foundation
import Sparkplug
import Testing
import TestSupport
import Wire

/// The gateway's own Sparkplug edge node (`sparkplug-edge-node`) read by a Sparkplug host played
/// by pysparkplug (Tests/Peers/sparkplug_host.py), an implementation independent of the
/// gateway's, through the real executable and a real broker (docs/SPARKPLUG.md).
@Suite("Sparkplug B host end to end")
struct SparkplugHostEndToEndTests {
    static let host = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Peers/sparkplug_host.py").path

    /// One line the host wrote.
    struct HostEvent: Decodable {
        var event: String
        var bdSeq: UInt64?
        var current: UInt64?
        var rebirth: Bool?
        var device: String?
        var metric: String?
        var seq: UInt64?
        var flag: String?
        var value: Double?
        var to_seq: UInt64?
        var birth: Bool?
        var what: String?
    }

    /// Starts the pysparkplug host on the gateway's edge node `Cleaned/gw` (writing to
    /// `host.jsonl`; `ask` is its --ask-file) and waits for the first birth it reads.
    static func startHost(_ scenario: GatewayScenario, ask: String? = nil) async throws -> (host: ChildProcess, out: String) {
        let out = scenario.directory.file("host.jsonl")
        let host = try ChildProcess(
            "/usr/bin/env",
            ["python3", Self.host, "--port", "\(scenario.broker.port)", "--group", "Cleaned", "--node", "gw", "--out", out]
                + (ask.map { ["--ask-file", $0] } ?? []),
            logPath: scenario.directory.file("host.log"))
        do {
            try await waitUntil("the host's first birth", timeout: .seconds(60)) { Self.events(out).contains { $0.event == "birth" } }
        } catch {
            host.signal(SIGKILL)
            throw error
        }
        return (host, out)
    }

    static func events(_ path: String) -> [HostEvent] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(HostEvent.self, from: Data($0.utf8)) }
    }

    @Test(
        "a host that came online late asks for a rebirth; ok, corrected, synthetic, gap and restated readings reach it with their quality properties, by alias, seq unbroken; a rebirth on request; a SIGKILL gives its NDEATH and the next bdSeq"
    )
    func hostFollowsTheCleanedStream() async throws {
        let scenario = try await GatewayScenario.start(
            watching: ["cleaned/#"], gatewayFlags: ["--sparkplug-edge-node", "Cleaned/gw", "--max-fill", "3"], answersResends: false)
        defer { scenario.cleanUp() }
        let ask = scenario.directory.file("ask-rebirth")
        let (host, out) = try await Self.startHost(scenario, ask: ask)
        defer { host.signal(SIGKILL) }

        // sp1: 5 and 6 lost (filled), 10 out of range (corrected), 20-24 lost (over max-fill 3: a gap), 5 late (restated).
        let t0 = Int64(Date().timeIntervalSince1970 * 1000) - 120_000
        let lost: Set<UInt64> = [5, 6, 20, 21, 22, 23, 24]
        func value(_ seq: UInt64) -> Double { seq == 10 ? 70 : 51 + Double(seq % 30) / 10 }
        for seq in UInt64(0)...29 {
            try scenario.fleet.measure("sp1", seq: seq, ts: t0 + Int64(seq) * 1000, temperature: value(seq), deliver: !lost.contains(seq))
        }
        try await scenario.watcher.recorder.wait(for: "sp1 through seq 29", timeout: .seconds(120)) { events in
            events.contains { if case .message(let m) = $0 { CleanedReading(m)?.seq == 29 } else { false } }
        }
        try scenario.fleet.measure("sp1", seq: 5, ts: t0 + 5000, temperature: value(5))
        try await scenario.watcher.recorder.wait(for: "seq 5 restated", timeout: .seconds(120)) { events in
            events.contains { if case .message(let m) = $0 { CleanedReading(m)?.quality == .restated } else { false } }
        }
        let cleaned = await scenario.watcher.messages(on: "cleaned/sp1/temperature").compactMap(CleanedReading.init)
        #expect(Set(cleaned.map(\.quality)) == [.ok, .corrected, .synthetic, .gap, .restated], "every quality is in the stream")

        /// The host's values of sp1's temperature in the session of `bdSeq`.
        func values(_ bdSeq: UInt64?) -> [HostEvent] {
            Self.events(out).filter { $0.event == "value" && $0.device == "sp1" && $0.metric == "temperature" && (bdSeq == nil || $0.bdSeq == bdSeq) }
        }
        func has(_ r: CleanedReading, in vs: [HostEvent]) -> Bool {
            vs.contains { v in
                v.seq == r.seq && v.flag == r.quality.rawValue && v.value == r.temperature && (r.quality != .gap || v.to_seq == r.toSeq)
            }
        }
        try await waitUntil("every cleaned message at the host", timeout: .seconds(60)) {
            let vs = values(0)
            return cleaned.allSatisfy { has($0, in: vs) }
        }

        // A rebirth on request: the same bdSeq, seq from 0, sp1's birth with its last value.
        #expect(FileManager.default.createFile(atPath: ask, contents: nil))
        try await waitUntil("a rebirth", timeout: .seconds(60)) {
            Self.events(out).contains { $0.event == "birth" && $0.rebirth == true && $0.bdSeq == 0 }
                && values(0).filter { $0.birth == true }.count >= 2
        }

        let port = try #require(scenario.gateway.httpPort)
        // The host's first request may have come before the node's connection was up (then its NBIRTH answered it).
        try await waitUntil("the rebirth on request counted", timeout: .seconds(60)) {
            try await HangupReconnectTests.metric("sensor_gateway_sparkplug_output_rebirths_total", port: port) ?? 0 >= 1
        }
        #expect(try await HangupReconnectTests.metric("sensor_gateway_sparkplug_output_messages_total{kind=\"data\"}", port: port) ?? 0 > 0)
        #expect(try await HangupReconnectTests.metric("sensor_gateway_sparkplug_output_failed_total", port: port) == 0)

        // A SIGKILL: the broker sends the will (NDEATH, bdSeq 0); the next run is born with bdSeq 1.
        try await scenario.crashAndRestartGateway(round: 1)
        try await scenario.gateway.waitUntilConnected()
        try await waitUntil("NDEATH 0 and NBIRTH 1", timeout: .seconds(60)) {
            let e = Self.events(out)
            return e.contains { $0.event == "death" && $0.bdSeq == 0 && $0.current == 0 } && e.contains { $0.event == "birth" && $0.bdSeq == 1 }
        }
        for seq in UInt64(30)...34 { try scenario.fleet.measure("sp1", seq: seq, ts: t0 + Int64(seq) * 1000, temperature: value(seq)) }
        try await waitUntil("seqs 30-34 in the new session", timeout: .seconds(120)) {
            let seqs = Set(values(1).filter { $0.flag == "ok" }.compactMap(\.seq))
            return (30...34).allSatisfy { seqs.contains(UInt64($0)) }
        }

        // A clean stop says NDEATH itself, with the session's bdSeq.
        #expect(try await scenario.finish() == 0)
        try await waitUntil("NDEATH 1", timeout: .seconds(60)) { Self.events(out).contains { $0.event == "death" && $0.bdSeq == 1 && $0.current == 1 } }
        host.signal(SIGTERM)
        #expect(try await host.wait(timeout: .seconds(60)) == 0, "the host: \(host.output)")

        let events = Self.events(out)
        #expect(events.filter { $0.event == "violation" }.map { $0.what ?? "" } == [], "what the host found against Sparkplug")
        let all = await scenario.watcher.messages(on: "cleaned/sp1/temperature").compactMap(CleanedReading.init)
        let invented = values(nil).filter { v in !all.contains { $0.seq == v.seq && $0.quality.rawValue == v.flag && $0.temperature == v.value } }
        #expect(invented.isEmpty, "every value the host read is a cleaned message: \(invented.map { "\($0.seq ?? 0) \($0.flag ?? "")" })")
    }

    /// A host `STATE` message (Sparkplug 3.0 section 7.3, JSON).
    struct HostState: Decodable, Equatable {
        var online: Bool
        var timestamp: UInt64
    }

    @Test(
        "a mixed site: a pysparkplug edge node and JSON sensors through one gateway, their primary host (STATE online, and offline with the same timestamp when killed), republished as one edge node to a host"
    )
    func mixedSiteWithHostState() async throws {
        let scenario = try await GatewayScenario.start(
            watching: ["cleaned/#", "spBv1.0/STATE/#"],
            gatewayFlags: [
                "--sparkplug-topic-filter", "spBv1.0/Plant1/#", "--sparkplug-metrics", "Temperature=temperature", "--sparkplug-rebirth", "on",
                "--sparkplug-host-id", "scada", "--sparkplug-edge-node", "Cleaned/gw",
            ], answersResends: false)
        defer { scenario.cleanUp() }
        func states() async -> [HostState] {
            await scenario.watcher.messages(on: "spBv1.0/STATE/scada").compactMap { try? WireJSON.decode(HostState.self, from: $0.payload) }
        }
        try await waitUntil("STATE online", timeout: .seconds(60)) { await states().last?.online == true }
        let (host, out) = try await Self.startHost(scenario)
        defer { host.signal(SIGKILL) }

        let edge = try ChildProcess(
            "/usr/bin/env",
            ["python3", SparkplugEndToEndTests.peer, "--port", "\(scenario.broker.port)", "--messages", "40", "--out", scenario.directory.file("sent.json")],
            logPath: scenario.directory.file("peer.log"))
        let t0 = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
        for seq in UInt64(0)...39 where seq % 7 != 3 {
            try scenario.fleet.measure("j1", seq: seq, ts: t0 + Int64(seq) * 1000, temperature: 51 + Double(seq) / 20)
        }
        #expect(try await edge.wait(timeout: .seconds(300)) == 0, "the edge node: \(edge.output)")
        try await scenario.watcher.recorder.wait(for: "both sources out", timeout: .seconds(180)) { events in
            let readings = events.compactMap { if case .message(let m) = $0 { CleanedReading(m) } else { nil } }
            return readings.contains { $0.sensorID == "j1" && $0.seq == 39 }
                && readings.contains { $0.sensorID == "Plant1.Line3" && $0.seq == 20 && Set(readings.compactMap(\.boot)).count == 2 }
        }
        let cleaned = await scenario.watcher.cleaned()
        #expect(Set(cleaned.map(\.sensorID)) == ["j1", "Plant1.Line3"])
        try await waitUntil("every cleaned message of both at the host", timeout: .seconds(60)) {
            let values = Self.events(out).filter { $0.event == "value" }
            return cleaned.allSatisfy { r in
                values.contains { $0.device == r.sensorID && $0.metric == "temperature" && $0.seq == r.seq && $0.flag == r.quality.rawValue }
            }
        }

        // An offline STATE for this host while it reads (an old session's will delivered late): online again.
        let online = try #require(await states().last)
        _ = try scenario.watcher.client.publish(
            topic: "spBv1.0/STATE/scada", payload: Array("{\"online\":false,\"timestamp\":1}".utf8), qos: .atLeastOnce, retain: true)
        try await waitUntil("online again after a stale offline", timeout: .seconds(60)) {
            let s = await states()
            return s.contains(HostState(online: false, timestamp: 1)) && s.last == online
        }
        // The retained STATE cleared (an empty message): put back.
        let before = await scenario.watcher.messages(on: "spBv1.0/STATE/scada").count
        _ = try scenario.watcher.client.publish(topic: "spBv1.0/STATE/scada", payload: [], qos: .atLeastOnce, retain: true)
        try await waitUntil("online again after the retained STATE was cleared", timeout: .seconds(60)) {
            let messages = await scenario.watcher.messages(on: "spBv1.0/STATE/scada").dropFirst(before)
            return messages.contains { $0.payload.isEmpty } && messages.last.flatMap { try? WireJSON.decode(HostState.self, from: $0.payload) } == online
        }

        // Killed: the broker publishes the input connection's will, offline with the online message's timestamp.
        try await scenario.crashAndRestartGateway(round: 1)
        try await waitUntil("STATE offline, then online again", timeout: .seconds(60)) {
            let s = await states()
            return s.contains(HostState(online: false, timestamp: online.timestamp)) && s.last?.online == true && s.last != online
        }
        try await scenario.gateway.waitUntilConnected()
        #expect(try await scenario.stopGateway() == 0)
        try await waitUntil("a clean stop says offline", timeout: .seconds(60)) { await states().last?.online == false }
        await scenario.fleet.close()
        await scenario.watcher.close()
        host.signal(SIGTERM)
        #expect(try await host.wait(timeout: .seconds(60)) == 0, "the host: \(host.output)")
        #expect(Self.events(out).filter { $0.event == "violation" }.map { $0.what ?? "" } == [], "what the host found against Sparkplug")
    }

    @Test("cleaned-topics off: nothing on cleaned/ or latest/, every reading at the Sparkplug host, nothing left waiting for the broker")
    func sparkplugOnly() async throws {
        let scenario = try await GatewayScenario.start(
            watching: ["cleaned/#", "latest/#"], gatewayFlags: ["--sparkplug-edge-node", "Cleaned/gw", "--cleaned-topics", "off"],
            answersResends: false)
        defer { scenario.cleanUp() }
        let (host, out) = try await Self.startHost(scenario)
        defer { host.signal(SIGKILL) }
        let t0 = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
        // 800 readings, seq 7 of each sensor lost: more than the in-flight limit (250), none of which takes its room.
        for sensor in 0..<4 {
            for seq in UInt64(0)..<200 where seq != 7 {
                try scenario.fleet.measure("so\(sensor)", seq: seq, ts: t0 + Int64(seq) * 100, temperature: 51)
            }
        }
        try await waitUntil("800 seqs at the host", timeout: .seconds(120)) {
            let seen = Set(Self.events(out).filter { $0.event == "value" }.compactMap { v in v.seq.map { "\(v.device ?? "") \($0)" } })
            return (0..<4).allSatisfy { d in (0..<200).allSatisfy { seen.contains("so\(d) \($0)") } }
        }
        #expect(Self.events(out).contains { $0.event == "value" && $0.seq == 7 && $0.flag == "synthetic" }, "the lost seq filled and flagged")
        let port = try #require(scenario.gateway.httpPort)
        try await waitUntil("nothing waiting or in flight", timeout: .seconds(60)) {
            let waiting = try await HangupReconnectTests.metric("sensor_gateway_outbound_waiting", port: port)
            let inFlight = try await HangupReconnectTests.metric("sensor_gateway_outbound_in_flight", port: port)
            return waiting == 0 && inFlight == 0
        }
        #expect(await scenario.watcher.messages(on: "cleaned/").isEmpty)
        #expect(await scenario.watcher.messages(on: "latest/").isEmpty)
        #expect(try await scenario.finish() == 0)
        host.signal(SIGTERM)
        #expect(try await host.wait(timeout: .seconds(60)) == 0)
        #expect(Self.events(out).filter { $0.event == "violation" }.map { $0.what ?? "" } == [])
    }

    @Test(
        "cleaned-topics off under an ACL that denies the node's topics: not up, /healthz says why, the stream waits in the journal; the ACL fixed, the next birth is heard and every reading arrives"
    )
    func deniedNodeHoldsTheStream() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let acl = dir.file("acl")
        let common = ["sensors/#", "cleaned/#", "latest/#", "gateway/#", "dlq/#", "aggregates/#", "replay/#"].map { "topic readwrite \($0)" }
        let denying = common + ["topic read spBv1.0/#", "topic write spBv1.0/+/NCMD/+"]
        try (denying.joined(separator: "\n") + "\n").write(toFile: acl, atomically: true, encoding: .utf8)
        let broker = try await TestBroker.start(extraConfig: ["acl_file \(acl)"])
        defer { broker.shutdown() }
        let gateway = try GatewayProcess.start(
            broker: broker, dataDirectory: dir.file("data"), extra: ["--sparkplug-edge-node", "Cleaned/gw", "--cleaned-topics", "off"])
        defer { gateway.child.signal(SIGKILL) }
        try await gateway.waitUntilConnected()
        let port = try #require(gateway.httpPort)
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        let out = dir.file("host.jsonl")
        let host = try ChildProcess(
            "/usr/bin/env", ["python3", Self.host, "--port", "\(broker.port)", "--group", "Cleaned", "--node", "gw", "--out", out],
            logPath: dir.file("host.log"))
        defer { host.signal(SIGKILL) }
        let t0 = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
        for seq in UInt64(0)..<20 { try fleet.measure("held", seq: seq, ts: t0 + Int64(seq) * 1000, temperature: 52) }
        try await waitUntil("the stream held in the journal", timeout: .seconds(60)) {
            try await HangupReconnectTests.metric("sensor_gateway_outbound_waiting", port: port) ?? 0 >= 20
        }
        #expect(try await HangupReconnectTests.metric("sensor_gateway_sparkplug_output_up", port: port) == 0)
        try await waitUntil("/healthz says why", timeout: .seconds(90)) {
            try await HTTPGet.fetch(port: port, path: "/healthz").body.contains("its NBIRTH was not delivered back to it")
        }
        #expect(!Self.events(out).contains { $0.event == "value" }, "nothing reached the host")

        try ((common + ["topic read spBv1.0/#", "topic write spBv1.0/#"]).joined(separator: "\n") + "\n").write(
            toFile: acl, atomically: true, encoding: .utf8)
        broker.reload()
        try await waitUntil("every held reading at the host", timeout: .seconds(120)) {
            let seqs = Set(Self.events(out).filter { $0.event == "value" && $0.device == "held" }.compactMap(\.seq))
            return (0..<20).allSatisfy { seqs.contains(UInt64($0)) }
        }
        try await waitUntil("up", timeout: .seconds(60)) {
            try await HangupReconnectTests.metric("sensor_gateway_sparkplug_output_up", port: port) == 1
        }
        #expect(try await gateway.terminate() == 0)
        await fleet.close()
        host.signal(SIGTERM)
        #expect(try await host.wait(timeout: .seconds(60)) == 0)
        #expect(Self.events(out).filter { $0.event == "violation" }.map { $0.what ?? "" } == [])
    }

    @Test(
        "sparkplug-primary-host with cleaned-topics off: no birth and the stream held until the host's STATE says online; its offline is the node's NDEATH and a new session, born with the next bdSeq when the host is back"
    )
    func waitsForThePrimaryHost() async throws {
        let scenario = try await GatewayScenario.start(
            watching: ["spBv1.0/STATE/#"],
            gatewayFlags: ["--sparkplug-edge-node", "Cleaned/gw", "--cleaned-topics", "off", "--sparkplug-primary-host", "scada"],
            answersResends: false)
        defer { scenario.cleanUp() }
        let out = scenario.directory.file("host.jsonl")
        let host = try ChildProcess(
            "/usr/bin/env", ["python3", Self.host, "--port", "\(scenario.broker.port)", "--group", "Cleaned", "--node", "gw", "--out", out],
            logPath: scenario.directory.file("host.log"))
        defer { host.signal(SIGKILL) }
        try await waitUntil("the host subscribed", timeout: .seconds(60)) { Self.events(out).contains { $0.event == "subscribed" } }
        let port = try #require(scenario.gateway.httpPort)
        let t0 = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
        for seq in UInt64(0)..<10 { try scenario.fleet.measure("ph", seq: seq, ts: t0 + Int64(seq) * 1000, temperature: 52) }
        try await waitUntil("the stream held", timeout: .seconds(60)) {
            try await HangupReconnectTests.metric("sensor_gateway_outbound_waiting", port: port) ?? 0 >= 10
        }
        #expect(!Self.events(out).contains { $0.event == "birth" }, "no birth before the primary host is online")
        func state(_ online: Bool) throws {
            _ = try scenario.watcher.client.publish(
                topic: "spBv1.0/STATE/scada", payload: Array("{\"online\":\(online),\"timestamp\":5}".utf8), qos: .atLeastOnce, retain: true)
        }
        for _ in 0..<3 { _ = try scenario.watcher.client.publish(topic: "spBv1.0/STATE/scada", payload: Array("online".utf8), qos: .atLeastOnce) }
        try state(true)
        try await waitUntil("born, and every held reading at the host", timeout: .seconds(120)) {
            let seqs = Set(Self.events(out).filter { $0.event == "value" && $0.device == "ph" }.compactMap(\.seq))
            return (0..<10).allSatisfy { seqs.contains(UInt64($0)) }
        }
        let write = SparkplugPayload(metrics: [SparkplugMetric(name: "temperature", datatype: .double, value: .double(1))]).serialized()
        _ = try scenario.watcher.client.publish(topic: "spBv1.0/Cleaned/DCMD/gw/ph", payload: write, qos: .atLeastOnce)
        try await waitUntil("the DCMD taken and ignored", timeout: .seconds(60)) { scenario.gateway.child.output.contains("DCMD for device ph") }
        try state(false)
        try await waitUntil("its NDEATH once the host is offline", timeout: .seconds(60)) {
            Self.events(out).contains { $0.event == "death" && $0.bdSeq == $0.current && $0.current != nil }
        }
        let first = try #require(Self.events(out).first { $0.event == "birth" }?.bdSeq)
        for seq in UInt64(10)..<20 { try scenario.fleet.measure("ph", seq: seq, ts: t0 + Int64(seq) * 1000, temperature: 52) }
        try state(true)
        try await waitUntil("born again, with the next bdSeq, and every reading at the host", timeout: .seconds(120)) {
            let seqs = Set(Self.events(out).filter { $0.event == "value" && $0.device == "ph" }.compactMap(\.seq))
            return Self.events(out).contains { $0.event == "birth" && $0.bdSeq == first + 1 } && (0..<20).allSatisfy { seqs.contains(UInt64($0)) }
        }
        #expect(
            Self.events(out).filter { $0.event == "birth" && $0.rebirth != true }.compactMap(\.bdSeq) == [first, first + 1], "a new session, not a rebirth")
        let invalid = scenario.gateway.child.output.components(separatedBy: "ignored a primary host STATE that is not Sparkplug 3.0 JSON").count - 1
        #expect(invalid == 1, "three invalid STATEs, logged once")
        #expect(try await scenario.finish() == 0)
        host.signal(SIGTERM)
        #expect(try await host.wait(timeout: .seconds(60)) == 0)
        #expect(Self.events(out).filter { $0.event == "violation" }.map { $0.what ?? "" } == [])
    }
}
