import Wire
import Foundation
import MQTT
import Testing
import TestSupport

/// What the journal-first design promises an operator: nothing acknowledged is lost, whatever
/// the size of the backlog, the size of a message or the state of the disk.
@Suite("Durability at the journal's limits")
struct DurabilityTests {
    static let base: Int64 = 1_795_660_000_000

    /// Publishes `readings` in-range readings for each of `sensors` sensors, round by round.
    static func publish(_ fleet: TestSensorFleet, prefix: String, sensors: Int, readings: Range<Int>) throws {
        for seq in readings {
            for s in 0..<sensors {
                try fleet.measure("\(prefix)\(s)", seq: UInt64(seq), ts: base + Int64(seq) * 1000, temperature: 50.5 + Double((seq + s) % 40) / 10)
            }
        }
    }

    /// Every sensor's seqs `0..<readings` came out exactly once, all `ok`: nothing was lost.
    static func expectComplete(_ watcher: Subscriber, prefix: String, sensors: Int, readings: Int) async {
        let views = await watcher.cleaned().filter { $0.sensorID.hasPrefix(prefix) }
        let accounting = StreamAccounting(views)
        let (problems, covered) = (accounting.allProblems, accounting.coveredSeqs)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(covered.count == sensors)
        for (sensor, seqs) in covered {
            let missing = Set(0..<UInt64(readings)).subtracting(seqs)
            #expect(missing.isEmpty && seqs.count == readings, "\(sensor): \(seqs.count) seqs, missing \(missing.sorted().prefix(10))")
        }
        let notOK = views.filter { $0.quality != .ok }
        #expect(notOK.isEmpty, "\(notOK.prefix(3).map { "\($0)" })")
    }

    static func waitForAll(_ watcher: Subscriber, prefix: String, sensors: Int, readings: Int) async throws {
        try await watcher.recorder.wait(for: "\(sensors * readings) cleaned readings", timeout: .seconds(240)) { events in
            // Distinct (sensor, seq): after a crash a message may come again (with identical content).
            Set(events.messages.compactMap(CleanedReading.init).filter { $0.sensorID.hasPrefix(prefix) }.map { "\($0.sensorID)/\($0.seq)" }).count
                >= sensors * readings
        }
    }

    @Test("a payload larger than a journal segment is dead-lettered payload_too_large (cut, truncated) and the gateway carries on")
    func payloadLargerThanASegment() async throws {
        let scenario = try await GatewayScenario.start(
            watching: ["cleaned/#", "dlq/#"], gatewayFlags: ["--journal-max-bytes", "1048576"],
            answersResends: false)
        defer { scenario.cleanUp() }
        let huge = "{\"seq\":0,\"ts\":\(Self.base),\"temperature\":52,\"status\":\"normal\",\"pad\":\"" + String(repeating: "x", count: 200_000) + "\"}"
        try scenario.fleet.publishRaw("big", huge)
        try scenario.fleet.measure("big", seq: 0, ts: Self.base, temperature: 52)
        try await scenario.watcher.recorder.wait(for: "the dead letter and the next reading") { events in
            events.messages.contains { $0.topic == "dlq/big/temperature" } && events.messages.contains { $0.topic == "cleaned/big/temperature" }
        }
        let letter = try #require(await scenario.watcher.messages(on: "dlq/big/temperature").first)
        let body = try WireJSON.decode(DeadLetter.self, from: letter.payload)
        #expect(body.reason == "payload_too_large")
        #expect(body.truncated == true)
        #expect(body.payload?.utf8.count == 4096)
        #expect(scenario.gateway.child.isRunning)
        #expect(try await scenario.finish() == 0)
    }

    @Test(
        "a backlog several times the journal ring, queued in the broker while the gateway was stopped, comes out complete: every seq exactly once, none filled")
    func backlogLargerThanTheRing() async throws {
        let scenario = try await GatewayScenario.start(
            watching: ["cleaned/#"], gatewayFlags: ["--journal-max-bytes", "1048576", "--snapshot-interval-ms", "500"],
            answersResends: false)
        defer { scenario.cleanUp() }
        #expect(try await scenario.stopGateway() == 0)
        // 12,000 readings: about 2 MB of input records and 3 MB of output, against a 1 MiB ring.
        let sensors = 60, readings = 200
        try Self.publish(scenario.fleet, prefix: "q", sensors: sensors, readings: 0..<readings)
        try await scenario.startGateway(round: 1)
        try await Self.waitForAll(scenario.watcher, prefix: "q", sensors: sensors, readings: readings)
        await Self.expectComplete(scenario.watcher, prefix: "q", sensors: sensors, readings: readings)
        #expect(try await scenario.finish() == 0)
    }

    /// Mounts a small tmpfs (root only: CI runs as root) for a disk that really fills.
    static func mountTmpfs(_ path: String, megabytes: Int) async throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = try ChildProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path], logPath: path + ".mount.log")
        try await mount.wait()
        #expect(mount.exitCode == 0, "mount: \(mount.output)")
    }

    static func unmount(_ path: String) {
        _ = try? ChildProcess("/bin/umount", ["-l", path], logPath: "/dev/null")
    }

    /// Fills the file system holding `path` with a filler file; returns the filler's path.
    static func fillDisk(_ path: String) -> String {
        let filler = path + "/filler"
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var chunk = [UInt8](repeating: 1, count: 4096)
        while write(fd, &chunk, chunk.count) > 0 {}
        close(fd)
        return filler
    }

    static func health(_ port: Int32) async -> HTTPGet.Response? { try? await HTTPGet.fetch(port: port, path: "/healthz") }

    static func metric(_ port: Int32, _ name: String) async -> Double? {
        guard let text = try? await HTTPGet.fetch(port: port, path: "/metrics").body else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }

    @Test(
        "a full disk: the gateway stays up, says 503 why, loses nothing; a restart while full takes nothing from the broker; all comes out once space returns",
        .enabled(if: getuid() == 0, "needs root to mount a small tmpfs"))
    func diskFull() async throws {
        let broker = try await TestBroker.start()
        let dir = try TemporaryDirectory()
        let disk = dir.file("disk")
        try await Self.mountTmpfs(disk, megabytes: 3)
        defer {
            Self.unmount(disk)
            broker.shutdown()
            dir.remove()
        }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["cleaned/#"])
        let port = LoopbackNetwork.freePort()
        let flags = ["--journal-max-bytes", "1048576", "--snapshot-interval-ms", "200", "--http", "127.0.0.1:\(port)"]
        var gateway = try GatewayProcess.start(broker: broker, dataDirectory: disk, extra: flags, logName: "gw1.log")
        defer { gateway.child.signal(SIGKILL) }
        try await gateway.waitUntilConnected()
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        let filler = Self.fillDisk(disk)

        // Snapshots now fail, so the journal cannot forget input: it fills, and input pauses.
        let sensors = 20, readings = 400
        try Self.publish(fleet, prefix: "f", sensors: sensors, readings: 0..<readings)
        try await waitUntil("/healthz to report the full journal", timeout: .seconds(120)) {
            guard let h = await Self.health(port) else { return false }
            return h.status == 503 && h.body.contains("journal full")
        }
        #expect(gateway.child.isRunning)
        #expect((await Self.metric(port, "sensor_gateway_snapshot_failures_total") ?? 0) > 0)
        #expect(await Self.metric(port, "sensor_gateway_checkpoint_failures_total") == 0)
        // Paused, the gateway is deaf to its sensors: `/healthz` says input waits at the broker,
        // and no sensor is marked stale for a silence that is the gateway's own (their readings
        // are a second apart, so five seconds of silence would be stale; found black-box).
        try await waitUntil("/healthz to say input waits at the broker", timeout: .seconds(90)) {
            await Self.health(port)?.body.contains("input has waited at the broker") == true
        }
        #expect(await Self.metric(port, "sensor_gateway_sensors{state=\"stale\"}") == 0)
        #expect(await Self.metric(port, "sensor_gateway_sensors_silent") == 0)
        #expect(gateway.child.output.contains("input paused: the journal is full of unfinished work"), "\(gateway.child.output.suffix(3000))")

        // A crash and a restart into the same full disk: it comes up, says why, and takes no
        // reading from the broker's backlog.
        try await gateway.kill()
        gateway = try GatewayProcess.start(broker: broker, dataDirectory: disk, extra: flags, logName: "gw2.log")
        try await waitUntil("the restarted gateway to report the full journal", timeout: .seconds(60)) {
            guard let h = await Self.health(port) else { return false }
            return h.status == 503 && h.body.contains("journal full")
        }
        #expect(await Self.metric(port, "sensor_gateway_ingest_accepted_total") == 0)
        #expect(gateway.child.isRunning)
        // A SIGTERM while full: input closes for the shutdown, which is no resumption (found
        // black-box, 85th review: "input resumed" between "draining" and "stopped").
        #expect(try await gateway.terminate() == 0)
        #expect(!gateway.child.output.contains("input resumed"), "\(gateway.child.output.suffix(3000))")
        gateway = try GatewayProcess.start(broker: broker, dataDirectory: disk, extra: flags, logName: "gw3.log")
        try await waitUntil("the third start to report the full journal", timeout: .seconds(60)) {
            guard let h = await Self.health(port) else { return false }
            return h.status == 503 && h.body.contains("journal full")
        }

        // Space returns: the next snapshot succeeds, the journal frees, input resumes.
        try FileManager.default.removeItem(atPath: filler)
        try await Self.waitForAll(watcher, prefix: "f", sensors: sensors, readings: readings)
        await Self.expectComplete(watcher, prefix: "f", sensors: sensors, readings: readings)
        try await waitUntil("/healthz to be 200 again", timeout: .seconds(60)) { await Self.health(port)?.status == 200 }
        // The log tells both ends of it (found black-box, 41st review: only the snapshots' failure was logged).
        #expect(gateway.child.output.contains("input resumed: the journal has room again"), "\(gateway.child.output.suffix(3000))")
        #expect(gateway.child.output.contains("engine snapshot saved again"), "\(gateway.child.output.suffix(3000))")
        #expect(try await gateway.terminate() == 0)
        await fleet.close()
        await watcher.close()
    }

    @Test(
        "journal verify and replay work on a read-only copy of the data folder (a journal taken off a failed box)",
        .enabled(if: getuid() == 0, "needs root to mount and remount a tmpfs read-only"))
    func readOnlyTools() async throws {
        let broker = try await TestBroker.start()
        let dir = try TemporaryDirectory()
        let disk = dir.file("disk")
        try await Self.mountTmpfs(disk, megabytes: 4)
        defer {
            Self.unmount(disk)
            broker.shutdown()
            dir.remove()
        }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["cleaned/#"])
        let gateway = try GatewayProcess.start(broker: broker, dataDirectory: disk, extra: ["--journal-max-bytes", "1048576"], logName: "gw.log")
        defer { gateway.child.signal(SIGKILL) }
        try await gateway.waitUntilConnected()
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        try Self.publish(fleet, prefix: "ro", sensors: 1, readings: 0..<10)
        try await Self.waitForAll(watcher, prefix: "ro", sensors: 1, readings: 10)
        #expect(try await gateway.terminate() == 0)

        let remount = try ChildProcess("/bin/mount", ["-o", "remount,ro", disk], logPath: dir.file("remount.log"))
        try await remount.wait()
        #expect(remount.exitCode == 0, "\(remount.output)")
        let (verifyCode, verifyOutput) = try await GatewayProcess.runTool(["journal", "verify", "--data-dir", disk], logPath: dir.file("verify.log"))
        #expect(verifyCode == 0, "\(verifyOutput)")
        #expect(verifyOutput.contains("corruption: none"))
        let (replayCode, replayOutput) = try await GatewayProcess.runTool(
            ["replay", "--data-dir", disk, "--sensor", "ro0", "--from", "\(Self.base)", "--to", "\(Self.base + 10_000)"], logPath: dir.file("replay.log"))
        #expect(replayCode == 0, "\(replayOutput)")
        #expect(replayOutput.split(separator: "\n").filter { $0.contains("\"quality\":\"ok\"") }.count == 10)
        #expect(!replayOutput.contains("note: no cleaned readings"), "\(replayOutput)")
        // A sensor the journal never saw (a misspelt id): said, not an empty success (found
        // black-box, 67th review).
        let (noneCode, noneOutput) = try await GatewayProcess.runTool(
            ["replay", "--data-dir", disk, "--sensor", "r0", "--from", "\(Self.base)", "--to", "\(Self.base + 10_000)"], logPath: dir.file("none.log"))
        #expect(
            noneCode == 0 && noneOutput.contains("note: no cleaned readings of sensor r0 with \(Self.base) <= ts < \(Self.base + 10_000) in this journal"),
            "\(noneOutput)")
        await fleet.close()
        await watcher.close()
    }
}
