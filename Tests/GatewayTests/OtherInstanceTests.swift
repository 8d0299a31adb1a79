import Foundation
import MQTT
import Testing
import TestSupport
import Wire

@testable import Gateway

/// Two gateways with one `gateway-id` on one broker (a cloned box, a second `run` with another
/// data folder) take over each other's connections and both publish the cleaned stream: found
/// black-box, each logged only "connection lost" and `/healthz` said ok.
@Suite("Another gateway with the same id")
struct OtherInstanceTests {
    static func status(_ state: GatewayStatusNotice.State, startedAt: Int64?, retained: Bool) -> MQTTMessage {
        MQTTMessage(
            topic: "gateway/g/status", payload: GatewayStatusNotice(state: state, version: "0.2.0", startedAt: startedAt).json, qos: .atLeastOnce,
            retain: retained)
    }

    @Test(
        "an online status with another start time is another instance when live, or retained but started after this run; never this run's own, an offline one, or an earlier run's retained one"
    )
    func sightingRules() {
        let watch = OtherInstanceWatch(startedAt: 1_000)
        #expect(watch.sighting(in: Self.status(.online, startedAt: 900, retained: false)) == .init(startedAt: 900, version: "0.2.0"))
        #expect(watch.sighting(in: Self.status(.online, startedAt: 1_100, retained: true)) == .init(startedAt: 1_100, version: "0.2.0"))
        #expect(watch.sighting(in: Self.status(.online, startedAt: 900, retained: true)) == nil)
        // The data folder's previous run, started "later" because the clock stepped back since.
        let stepped = OtherInstanceWatch(startedAt: 1_000, previousStartedAt: 1_100)
        #expect(stepped.sighting(in: Self.status(.online, startedAt: 1_100, retained: true)) == nil)
        #expect(stepped.sighting(in: Self.status(.online, startedAt: 1_200, retained: true)) == .init(startedAt: 1_200, version: "0.2.0"))
        #expect(watch.sighting(in: Self.status(.online, startedAt: 1_000, retained: false)) == nil)
        #expect(watch.sighting(in: Self.status(.offline, startedAt: 1_100, retained: false)) == nil)
        #expect(watch.sighting(in: Self.status(.online, startedAt: nil, retained: false)) == nil)
        #expect(watch.sighting(in: MQTTMessage(topic: "gateway/g/status", payload: Array("not json".utf8), qos: .atLeastOnce, retain: false)) == nil)
        // An offline status published just now replaced this run's online; a retained one is the past.
        #expect(OtherInstanceWatch.isLiveOffline(Self.status(.offline, startedAt: nil, retained: false)))
        #expect(!OtherInstanceWatch.isLiveOffline(Self.status(.offline, startedAt: nil, retained: true)))
        #expect(!OtherInstanceWatch.isLiveOffline(Self.status(.online, startedAt: 900, retained: false)))
    }

    @Test(
        "two running gateways with one gateway-id and their own client ids on one broker: the first one started sees the second's online status, logs it as an error, counts it and says degraded"
    )
    func twoInstancesSeen() async throws {
        let logs = [CapturedLog(), CapturedLog()]
        // Own client ids (a cloned configuration with `client-id` set per host): no takeover,
        // both run, and the second's online status reaches the first live.
        try await Self.twoGateways(id: "twin", clientIDs: ["box-a", "box-b"], logs: logs) { older, _ in
            try await Self.expectSecondSeen(by: older, log: logs[0])
        }
    }

    /// Found black-box (67th review): with one client id too (the default), each took the
    /// connections over from the other; only the log said so, `/healthz` flipped between ok and
    /// not connected, and `sensor_gateway_other_instance_sightings_total` stayed 0, so the
    /// alert on another instance could not fire.
    @Test(
        "two running gateways with one gateway-id and one client id: the takeovers are counted as another instance and /healthz says degraded, naming the client id"
    )
    func twoInstancesOneClientID() async throws {
        let logs = [CapturedLog(), CapturedLog()]
        try await Self.twoGateways(id: "clone", clientIDs: nil, logs: logs) { first, second in
            try await waitUntil("a takeover counted", timeout: .seconds(180)) {
                first.status.snapshot.runtime.otherInstanceSightings > 0 || second.status.snapshot.runtime.otherInstanceSightings > 0
            }
            let (seer, log) = first.status.snapshot.runtime.otherInstanceSightings > 0 ? (first, logs[0]) : (second, logs[1])
            #expect(log.lines.contains { $0.level == .error && $0.message.hasPrefix("the broker closed this connection") }, "\(log.messages)")
            let handler = GatewayHTTP.handler(status: seer.status, configuration: seer.configuration)
            let health = handler("/healthz").body
            #expect(
                health.contains("another client most likely uses this gateway's client id") && health.contains("sensor-gateway-clone"),
                "\(health)")
            #expect(!health.contains("\"ok\""), "\(health)")
            let counted = handler("/metrics").body.split(separator: "\n").first { $0.hasPrefix("sensor_gateway_other_instance_sightings_total ") }
            #expect(counted.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 >= 1 } == true, "\(counted ?? "none")")
        }
    }

    /// Runs `body` with two gateways of gateway id `id`, started one after the other on one
    /// broker, each in a data folder of its own and logging to its own of `logs`; `clientIDs`:
    /// their own client ids (nil: the default, one for both).
    static func twoGateways(
        id: String, clientIDs: [String]?, logs: [CapturedLog], _ body: (InProcessGateway, InProcessGateway) async throws -> Void
    ) async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let folders = [try TemporaryDirectory(), try TemporaryDirectory()]
        defer { folders.forEach { $0.remove() } }
        var gateways: [InProcessGateway] = []
        for i in 0..<2 {
            gateways.append(
                try await InProcessGateway.start(broker, in: folders[i], id: id, logger: logs[i].logger()) { c in
                    if let clientIDs { c.clientID = clientIDs[i] }
                })
        }
        try await body(gateways[0], gateways[1])
        try await gateways[1].stop()
        try await gateways[0].stop()
    }

    /// `older` sees the other instance: logged as an error, counted, `/healthz` degraded.
    static func expectSecondSeen(by older: InProcessGateway, log: CapturedLog) async throws {
        let status = older.status
        try await waitUntil("the first to see the second", timeout: .seconds(120)) { status.snapshot.runtime.otherInstanceSightings > 0 }
        let line = try #require(log.lines.first { $0.message.hasPrefix("another gateway with this gateway-id is online") }, "\(log.messages)")
        #expect(line.level == .error)
        let health = GatewayHTTP.handler(status: status, configuration: older.configuration)("/healthz")
        #expect(health.body.contains("\"degraded\"") && health.body.contains("another gateway with gateway-id twin is online"), "\(health.body)")
        let metrics = GatewayHTTP.handler(status: status, configuration: older.configuration)("/metrics").body
        #expect(metrics.contains("sensor_gateway_other_instance_sightings_total "), "\(metrics)")
    }

    @Test("the second of two gateways with one id stops: its offline status does not stay retained over the first's, which says online again")
    func otherStoppingLeavesOnline() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let folders = [try TemporaryDirectory(), try TemporaryDirectory()]
        defer { folders.forEach { $0.remove() } }
        let log = CapturedLog()
        let first = try await InProcessGateway.start(broker, in: folders[0], id: "twin2", logger: log.logger()) { $0.clientID = "box-a" }
        let second = try await InProcessGateway.start(broker, in: folders[1], id: "twin2") { $0.clientID = "box-b" }
        let firstStart = first.status.snapshot.startedAt
        let watcher = try await Subscriber.connect(broker, id: "status-watcher", filters: ["gateway/twin2/status"])
        try await second.stop()
        try await watcher.recorder.wait(for: "the second's offline, then the first's online again", timeout: .seconds(60)) { events in
            let notices = events.compactMap { event -> GatewayStatusNotice? in
                guard case .message(let m) = event else { return nil }
                return try? WireJSON.decode(GatewayStatusNotice.self, from: m.payload)
            }
            guard let offline = notices.lastIndex(where: { $0.state == .offline }) else { return false }
            return notices[offline...].contains { $0.state == .online && $0.startedAt == firstStart }
        }
        // What a newcomer reads, retained: the first one, online.
        let late = try await Subscriber.connect(broker, id: "late-watcher", filters: ["gateway/twin2/status"])
        try await late.recorder.wait(for: "the retained status", timeout: .seconds(30)) { !$0.messages.isEmpty }
        let retained = try WireJSON.decode(GatewayStatusNotice.self, from: try #require(await late.recorder.messages.last).payload)
        #expect(retained.state == .online && retained.startedAt == firstStart)
        #expect(log.messages.contains { $0.hasPrefix("an offline status replaced this gateway's online one") })
        try await first.stop()
        await late.close()
        await watcher.close()
    }

    @Test(
        "after a backward clock step, the previous run's retained online status (started 'later', left by a kill) is its own: not another instance; a live one still is"
    )
    func previousRunAfterClockStepBack() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let previous = Clocks.epochMilliseconds() + 2 * 3_600_000
        // What a killed run left: its online status retained, its start in the data folder.
        let publisher = try await Subscriber.connect(broker, id: "left-behind", filters: [])
        let left = GatewayStatusNotice(state: .online, version: "0.2.0", startedAt: previous)
        _ = try publisher.client.publish(topic: "gateway/stepback/status", payload: left.json, qos: .atLeastOnce, retain: true)
        try FileManager.default.createDirectory(atPath: dir.file("data"), withIntermediateDirectories: true)
        try Data("\(previous)\n".utf8).write(to: URL(fileURLWithPath: dir.file("data/last-start")))
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "stepback")
        #expect(try String(contentsOfFile: dir.file("data/last-start"), encoding: .utf8) == "\(gateway.status.snapshot.startedAt)\n")
        // A live online of another instance, after the retained one on the same connection: once
        // it is counted, the retained one was read too, and was not counted.
        let other = GatewayStatusNotice(state: .online, version: "0.3.0", startedAt: previous + 60_000)
        _ = try publisher.client.publish(topic: "gateway/stepback/status", payload: other.json, qos: .atLeastOnce, retain: false)
        try await waitUntil("the live other instance seen", timeout: .seconds(60)) {
            gateway.status.snapshot.runtime.lastOtherInstance?.hasSuffix("version 0.3.0") == true
        }
        #expect(gateway.status.snapshot.runtime.otherInstanceSightings == 1)
        try await gateway.stop()
        await publisher.close()
    }

    @Test("the previous run's start is read and replaced; a damaged or unwritable record is left out with a warning")
    func previousRunStartRecord() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = CapturedLog()
        let path = dir.file("last-start")
        #expect(PreviousRunStart.exchange(path: path, startedAt: 5, logger: log.logger()) == nil)
        #expect(PreviousRunStart.exchange(path: path, startedAt: 7, logger: log.logger()) == 5)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: path))
        #expect(PreviousRunStart.exchange(path: path, startedAt: 9, logger: log.logger()) == nil)
        #expect(PreviousRunStart.exchange(path: path, startedAt: 11, logger: log.logger()) == 9)
        #expect(PreviousRunStart.exchange(path: dir.file("missing/last-start"), startedAt: 1, logger: log.logger()) == nil)
        #expect(log.messages.contains { $0.hasPrefix("the previous run's start time is not a readable number") })
        #expect(log.messages.contains { $0.hasPrefix("cannot store this run's start time") })
    }

    @Test("a gateway alone on its id, restarted, never sees another instance (its earlier run's retained online status is older)")
    func restartAlone() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        let watcher = try await Subscriber.connect(broker, id: "alone-watcher", filters: ["cleaned/#"])
        for run in 0..<2 {
            let gateway = try await InProcessGateway.start(broker, in: dir, id: "alone")
            let seq = UInt64(run)
            try fleet.measure("alone", seq: seq, ts: 1_795_660_000_000 + Int64(seq) * 1000, temperature: 52)
            try await watcher.recorder.wait(for: "seq \(seq) cleaned", timeout: .seconds(60)) {
                $0.messages.compactMap(CleanedReading.init).contains { $0.seq == seq }
            }
            #expect(gateway.status.snapshot.runtime.otherInstanceSightings == 0)
            try await gateway.stop()
        }
        await fleet.close()
        await watcher.close()
    }

    @Test(
        "two running gateways with one client id take the connection over from each other: the log says so, naming the client id, instead of only \"connection lost\""
    )
    func sameClientIDSaid() async throws {
        let logs = [CapturedLog(), CapturedLog()]
        try await Self.twoGateways(id: "clone", clientIDs: nil, logs: logs) { _, _ in try await Self.expectTakeoversNamed(in: logs) }
    }

    /// One of `logs` names the takeovers, with the client id.
    static func expectTakeoversNamed(in logs: [CapturedLog]) async throws {
        let said = "within seconds of accepting it: most likely another client uses its client id"
        try await waitUntil("the takeovers to be named", timeout: .seconds(120)) {
            logs.contains { $0.messages.contains { $0.contains(said) } }
        }
        let line = try #require(logs.flatMap(\.lines).first { $0.message.contains(said) })
        #expect(line.level == .error && line.message.contains("Client sensor-gateway-clone"), "\(line)")
    }
}
