import Wire
import Foundation
import MQTT
import Testing
import TestSupport

/// Crashes and outages while a fleet streams: afterwards every reading is accounted for.
@Suite("Gateway resilience")
struct ResilienceTests {
    /// Publishes `readings` per sensor for `sensors` sensors, a round every `pace`, in the background.
    static func stream(_ fleet: TestSensorFleet, sensors: Int, readings: Int, pace: Duration) -> Task<Void, Error> {
        Task {
            for seq in 0..<readings {
                for s in 0..<sensors {
                    let t = 50.5 + Double((seq + s) % 40) / 10
                    try fleet.measure("s\(s)", seq: UInt64(seq), ts: 1_795_660_000_000 + Int64(seq) * 100, temperature: t)
                }
                try await Task.sleep(for: pace)
            }
        }
    }

    static func waitForCoverage(_ watcher: Subscriber, sensors: Int, through last: UInt64) async throws {
        try await watcher.recorder.wait(for: "every sensor to reach seq \(last)", timeout: .seconds(240)) { events in
            let views = events.messages.compactMap(CleanedReading.init)
            let done = Set(views.filter { v in v.quality != .restated && (v.seq == last || (v.toSeq ?? 0) >= last) }.map(\.sensorID))
            return done.count >= sensors
        }
    }

    static func account(_ watcher: Subscriber, sensors: Int, readings: Int) async {
        let accounting = StreamAccounting(await watcher.cleaned())
        let (problems, covered) = (accounting.allProblems, accounting.coveredSeqs)
        #expect(problems.isEmpty, "\(problems.prefix(10))")
        #expect(covered.count == sensors)
        for (sensor, seqs) in covered {
            #expect(Set(seqs) == Set(0..<UInt64(readings)), "\(sensor) covers \(seqs.count) seqs")
        }
    }

    @Test(
        "SIGKILL 10 times (every other one aimed at a snapshot being written) as 50 sensors stream 20,000 readings: every seq covered exactly once, none lost into a fill"
    )
    func sigkillRestarts() async throws {
        // Snapshots every 200 ms so that kills meet them; sensors that never skip and do not
        // answer resends, so any reading lost by a kill would come out synthetic or as a gap.
        let scenario = try await GatewayScenario.start(
            watching: ["cleaned/#"], persistentWatcher: true,
            gatewayFlags: ["--fsync", "interval", "--snapshot-interval-ms", "200"],
            answersResends: false)
        defer { scenario.cleanUp() }
        let sensors = 50, readings = 400
        let publisher = Self.stream(scenario.fleet, sensors: sensors, readings: readings, pace: .milliseconds(25))
        let snapshotTemporary = scenario.dataDirectory + "/engine.snapshot.tmp"
        for round in 1...10 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...900)))
            if round % 2 == 0 {
                // Kill while a snapshot is being written, when the moment can be caught.
                try? await waitUntil("a snapshot in progress", timeout: .seconds(2)) { FileManager.default.fileExists(atPath: snapshotTemporary) }
            }
            try await scenario.crashAndRestartGateway(round: round)
        }
        // The PUBACK of a reading leaves only after the reading is in the journal file, so a
        // kill loses none: nothing may have been filled.
        try await Self.expectEveryReadingAsSent(scenario, publisher, sensors: sensors, readings: readings)
    }

    /// After the stream: every seq of every sensor covered exactly once, none filled, and a clean stop.
    static func expectEveryReadingAsSent(_ scenario: GatewayScenario, _ publisher: Task<Void, Error>, sensors: Int, readings: Int) async throws {
        try await publisher.value
        try await waitForCoverage(scenario.watcher, sensors: sensors, through: UInt64(readings - 1))
        await account(scenario.watcher, sensors: sensors, readings: readings)
        let filled = await scenario.watcher.cleaned().filter { $0.quality == .synthetic || $0.quality == .gap }
        #expect(filled.isEmpty, "\(filled.prefix(5).map { "\($0)" })")
        #expect(try await scenario.finish() == 0)
    }

    @Test("fsync always under simulated power loss (unsynced journal writes die with the process): 5 SIGKILLs as 20 sensors stream, none lost into a fill")
    func powerLossWithFsyncAlways() async throws {
        // SENSOR_GATEWAY_FAULT_INJECTION=power-loss holds unsynced journal writes in the
        // gateway's memory, so each kill costs what a power cut would. With `always`, a reading
        // is synced before its PUBACK leaves, so the broker never forgets one the journal lost;
        // the sensors do not answer resends, so a lost reading would come out filled.
        let scenario = try await GatewayScenario.start(
            watching: ["cleaned/#"], persistentWatcher: true,
            gatewayFlags: ["--fsync", "always", "--snapshot-interval-ms", "300"],
            gatewayEnvironment: ["SENSOR_GATEWAY_FAULT_INJECTION": "power-loss"],
            answersResends: false)
        defer { scenario.cleanUp() }
        let sensors = 20, readings = 300
        let publisher = Self.stream(scenario.fleet, sensors: sensors, readings: readings, pace: .milliseconds(25))
        for round in 1...5 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...1200)))
            try await scenario.crashAndRestartGateway(round: round)
        }
        try await Self.expectEveryReadingAsSent(scenario, publisher, sensors: sensors, readings: readings)
    }

    @Test("a broker restarted twice mid-stream: every seq covered exactly once, no conflicting duplicates")
    func brokerRestarts() async throws {
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#"], persistentWatcher: true, answersResends: true)
        defer { scenario.cleanUp() }
        let sensors = 20, readings = 200
        let publisher = Self.stream(scenario.fleet, sensors: sensors, readings: readings, pace: .milliseconds(20))
        for _ in 1...2 {
            try await Task.sleep(for: .milliseconds(1200))
            try await scenario.broker.restart()
        }
        try await publisher.value
        try await Self.waitForCoverage(scenario.watcher, sensors: sensors, through: UInt64(readings - 1))
        await Self.account(scenario.watcher, sensors: sensors, readings: readings)
        #expect(try await scenario.finish() == 0)
    }
}

@Suite("Gateway restart bookkeeping")
struct RestartBookkeepingTests {
    @Test("publications journaled while the broker was unreachable are sent after a restart, even when a snapshot was taken after them")
    func unacknowledgedBeforeSnapshot() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["cleaned/#"], persistent: true)
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        let data = dir.file("data")

        // Run A: a long first-sight hold, so readings are journaled but nothing is released yet.
        let httpPort = LoopbackNetwork.freePort()
        let a = try GatewayProcess.start(
            broker: broker, dataDirectory: data, extra: ["--reorder-window-ms", "600000", "--http", "127.0.0.1:\(httpPort)"],
            logName: "a.log")
        try await a.waitUntilConnected()
        for seq in UInt64(0)..<10 { try fleet.measure("q", seq: seq, ts: 1_795_660_000_000 + Int64(seq) * 1000, temperature: 52) }
        try await waitUntil("run A to receive the readings") {
            (try? await HTTPGet.fetch(port: httpPort, path: "/metrics"))?.body.contains("sensor_gateway_messages_received_total 10") == true
        }
        try await a.kill()
        let snapshotA = try Data(contentsOf: URL(fileURLWithPath: "\(data)/engine.snapshot"))

        // Run B: other settings (so it rebuilds from the journal and releases at once), and a
        // broker it cannot reach: it journals the cleaned readings, snapshots after them, dies.
        let b = try GatewayProcess.start(
            broker: broker, dataDirectory: data,
            extra: ["--broker", "mqtt://127.0.0.1:\(LoopbackNetwork.freePort())"], logName: "b.log")
        try await waitUntil("run B to save its snapshot") {
            (try? Data(contentsOf: URL(fileURLWithPath: "\(data)/engine.snapshot"))).map { $0 != snapshotA } ?? false
        }
        try await b.kill()

        // Run C, connected again: everything B journaled and nobody acknowledged goes out.
        let c = try GatewayProcess.start(broker: broker, dataDirectory: data, logName: "c.log")
        try await watcher.recorder.wait(for: "the 10 readings") { $0.messages.compactMap(CleanedReading.init).count >= 10 }
        #expect(await watcher.cleaned().map(\.seq) == Array(0..<10))
        #expect(try await c.terminate() == 0)
        await fleet.close()
        await watcher.close()
    }
}
