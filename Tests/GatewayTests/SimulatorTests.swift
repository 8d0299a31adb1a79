import Foundation
import MQTT
import Testing
import TestSupport
import Wire

/// `sensor-sim`, run as a real process against a real broker.
@Suite("Sensor simulator and verifier")
struct SimulatorTests {
    static func simulate(_ broker: TestBroker, _ dir: TemporaryDirectory, name: String, _ extra: [String]) async throws -> [[String: Any]] {
        let truth = dir.file("\(name).jsonl")
        let child = try ChildProcess(
            BuiltProducts.executable("sensor-sim"),
            ["run", "--broker", broker.url, "--rate", "max", "--truth", truth, "--linger", "0", "--start-ts", "1795660000000"] + extra,
            logPath: dir.file("\(name).log"))
        try await child.wait(timeout: .seconds(180))
        #expect(child.exitCode == 0, "\(child.output)")
        let text = try String(contentsOfFile: truth, encoding: .utf8)
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test("--duration is seconds at any rate: 0.5 readings a second for 4 s is 2 rounds (it was 4, found black-box); unpaced, it ends in time")
    func durationAtAnyRate() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let slow = try await Self.simulate(broker, dir, name: "slow", ["--sensors", "3", "--rate", "0.5", "--duration", "4", "--skip-rate", "0"])
        #expect(slow.count == 6, "3 sensors x 2 rounds")
        let unpaced = try await Self.simulate(broker, dir, name: "unpaced", ["--sensors", "3", "--duration", "0.5"])
        #expect(!unpaced.isEmpty, "it played rounds until the half second was up (it played none)")
    }

    @Test("--username and --password-file log the fleet in to a broker that refuses anonymous clients")
    func logsIn() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let passwords = try await TestBroker.passwordFile(users: ["fleet"], in: dir)
        try "user fleet\ntopic readwrite sensors/#\n".write(toFile: dir.file("acl"), atomically: true, encoding: .utf8)
        try "pw-fleet\n".write(toFile: dir.file("fleet-password"), atomically: true, encoding: .utf8)
        let broker = try await TestBroker.start(extraConfig: ["password_file \(passwords)", "acl_file \(dir.file("acl"))"], anonymous: false)
        defer { broker.shutdown() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["sensors/#"], configure: DeployedACLTests.login("fleet"))
        let truth = try await Self.simulate(
            broker, dir, name: "login",
            ["--sensors", "2", "--count", "5", "--skip-rate", "0", "--username", "fleet", "--password-file", dir.file("fleet-password")])
        #expect(truth.count == 10)
        try await watcher.recorder.wait(for: "the fleet's readings") { events in events.messages.count { $0.topic.hasSuffix("/temperature") } >= 10 }
    }

    @Test(
        "--first-boot: a second run of the fleet against the same gateway says its sensors restarted, and comes out whole, none dead-lettered (found black-box, 49th review: under boot 1 again, bad_value:seq)"
    )
    func secondRunWithAHigherBoot() async throws {
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#", "dlq/#"], answersResends: false)
        defer { scenario.cleanUp() }
        let quiet = [
            "--sensors", "3", "--count", "20", "--skip-rate", "0", "--error-rate", "0", "--dup-rate", "0", "--reorder-rate", "0", "--corrupt-rate", "0",
        ]
        let first = try await Self.simulate(scenario.broker, scenario.directory, name: "first", quiet)
        let second = try await Self.simulate(
            scenario.broker, scenario.directory, name: "second", quiet + ["--first-boot", "2", "--start-ts", "1795660060000"])
        #expect(first.allSatisfy { $0["boot"] as? Int == 1 } && second.allSatisfy { $0["boot"] as? Int == 2 } && second.count == 60)
        try await scenario.watcher.recorder.wait(for: "both runs' 120 readings") { events in
            events.messages.count { $0.topic.hasPrefix("cleaned/") } >= 120
        }
        let cleaned = await scenario.watcher.cleaned()
        #expect(cleaned.filter { $0.boot == 2 && $0.quality == .ok }.count == 60)
        #expect(await scenario.watcher.messages(on: "dlq/").isEmpty)
        #expect(try await scenario.gateway.terminate() == 0)
        await scenario.fleet.close()
        await scenario.watcher.close()
        let invalid = try ChildProcess(
            BuiltProducts.executable("sensor-sim"), ["run", "--first-boot=-1"], logPath: scenario.directory.file("invalid.log"))
        try await invalid.wait(timeout: .seconds(60))
        #expect(invalid.exitCode == 64 && invalid.output.contains("--first-boot=-1"), "\(invalid.output)")
    }

    @Test("the same seed gives the same truth; fault rates match the flags over 100,000 readings")
    func determinismAndRates() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let args = ["--sensors", "100", "--count", "1000", "--seed", "42", "--dup-rate", "0.02", "--restart-rate", "0.001", "--late-rate", "0.01"]
        let first = try await Self.simulate(broker, dir, name: "a", args)
        _ = try await Self.simulate(broker, dir, name: "b", args)
        #expect(first.count == 100_000)
        #expect(try String(contentsOfFile: dir.file("a.jsonl"), encoding: .utf8) == String(contentsOfFile: dir.file("b.jsonl"), encoding: .utf8))
        let faults = Dictionary(grouping: first.map { $0["fault"] as? String ?? "?" }, by: { $0 }).mapValues { Double($0.count) / 100_000 }
        for (fault, rate) in [("skip", 0.10), ("error", 0.05), ("dup", 0.02), ("reorder", 0.01), ("corrupt", 0.005), ("late", 0.01)] {
            #expect(abs((faults[fault] ?? 0) - rate) < rate * 0.15 + 0.001, "\(fault): \(faults[fault] ?? 0) vs \(rate)")
        }
        let temps = first.compactMap { ($0["temperature"] as? NSNumber)?.doubleValue }
        #expect(temps.allSatisfy { (50...55).contains($0) })
        #expect(first.contains { ($0["boot"] as? Int ?? 1) > 1 })
        #expect(first.contains { $0["status"] as? String == "deviated" })
        let other = try await Self.simulate(broker, dir, name: "c", ["--sensors", "2", "--count", "50", "--seed", "43"])
        let sameSeedSmall = try await Self.simulate(broker, dir, name: "d", ["--sensors", "2", "--count", "50", "--seed", "42"])
        #expect(other.map { "\($0)" } != sameSeedSmall.map { "\($0)" })
    }

    @Test("--spread plays the same readings and faults, and publishes the same messages, as one burst a round; it needs a numeric rate")
    func spreadKeepsTheRun() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // 20 Hz: a 50 ms round in five slices. Late readings, reorders and duplicates included.
        func play(_ name: String, _ extra: [String]) async throws -> [String] {
            let watcher = try await Subscriber.connect(broker, id: "watch-\(name)", filters: ["sensors/+/temperature"])
            let child = try ChildProcess(
                BuiltProducts.executable("sensor-sim"),
                [
                    "run", "--broker", broker.url, "--sensors", "12", "--rate", "20", "--count", "30", "--seed", "7", "--late-rate", "0.05",
                    "--late-delay-ms", "100", "--linger", "0", "--start-ts", "1795660000000", "--sensor-prefix", "\(name)-",
                    "--truth", dir.file("\(name).jsonl"),
                ] + extra,
                logPath: dir.file("\(name).log"))
            try await child.wait(timeout: .seconds(120))
            #expect(child.exitCode == 0, "\(child.output)")
            // "sensor-sim: done, published N messages, ..."
            let done = try #require(child.output.split(separator: "\n").first { $0.contains("done, published") })
            let published = try #require(done.split(separator: " ").drop { $0 != "published" }.dropFirst().first.flatMap { Int($0) })
            try await watcher.recorder.wait(for: "\(name)'s \(published) messages") { $0.messages.count >= published }
            let messages = await watcher.messages(on: "sensors/\(name)-")
            await watcher.close()
            // The sensor ids' prefix is the run's name; the order of the sensors' messages across slices may differ.
            return messages.map { "\($0.topic) \(String(decoding: $0.payload, as: UTF8.self))".replacingOccurrences(of: "\(name)-", with: "") }.sorted()
        }
        let burst = try await play("burst", [])
        let spread = try await play("spread", ["--spread"])
        #expect(burst.count > 12 * 30 * 3 / 4, "most of the 360 readings went out")
        #expect(spread.count == burst.count)
        let differing = Set(spread).symmetricDifference(burst).sorted().prefix(5)
        #expect(differing.isEmpty, "messages in one run only: \(differing)")
        let truth = { (name: String) in
            try String(contentsOfFile: dir.file("\(name).jsonl"), encoding: .utf8).replacingOccurrences(of: "\(name)-", with: "")
        }
        #expect(try truth("spread") == truth("burst"), "the truth files differ")

        let refused = try ChildProcess(
            BuiltProducts.executable("sensor-sim"), ["run", "--broker", broker.url, "--rate", "max", "--spread"], logPath: dir.file("refused.log"))
        try await refused.wait(timeout: .seconds(60))
        #expect(refused.exitCode != 0)
        #expect(refused.output.contains("--spread needs a numeric --rate"))
    }

    @Test("a sensor with a buffer answers resend requests with what it measured, lost readings included")
    func answersResends() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["sensors/sim-0/temperature"])
        let child = try ChildProcess(
            BuiltProducts.executable("sensor-sim"),
            [
                "run", "--broker", broker.url, "--sensors", "1", "--rate", "max", "--count", "20", "--skip-rate", "0.5",
                "--error-rate", "0", "--resend-buffer", "50", "--linger", "600", "--truth", dir.file("t.jsonl"), "--start-ts", "1795660000000",
            ],
            logPath: dir.file("sim.log"))
        // Killed at the end: its linger only has to outlast a loaded machine's waits below (a 30 s
        // one ran out before the resend request came, under a full parallel suite).
        defer { child.signal(SIGKILL) }
        try await watcher.recorder.wait(for: "the live readings") { $0.messages.count >= 5 }
        try await waitUntil("the truth file") { ((try? String(contentsOfFile: dir.file("t.jsonl"), encoding: .utf8)) ?? "").split(separator: "\n").count == 20 }
        let truth = try String(contentsOfFile: dir.file("t.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
        let skipped = truth.filter { $0.contains("\"fault\":\"skip\"") }.compactMap { line -> UInt64? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["seq"].flatMap { ($0 as? NSNumber)?.uint64Value }
        }
        #expect(!skipped.isEmpty)
        let requester = try await Subscriber.connect(broker, id: "requester", filters: [])
        try requester.client.publish(topic: "sensors/sim-0/resend", payload: Array("{\"from_seq\":0,\"to_seq\":19,\"measurement\":\"temperature\"}".utf8))
        try await watcher.recorder.wait(for: "the resent readings") { events in
            let seqs = Set(
                events.messages.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.payload)) as? [String: Any])?["seq"] as? Int }.map(UInt64.init))
            return skipped.allSatisfy(seqs.contains)
        }
        await requester.close()
        await watcher.close()
    }

    @Test("after a broker restart that lost its sessions, the simulator subscribes again and answers resend requests")
    func answersResendsAfterBrokerRestart() async throws {
        // Without persistence a restarted broker remembers no session and no subscription.
        let broker = try await TestBroker.start(extraConfig: ["persistence false"])
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let live = try await Subscriber.connect(broker, id: "live", filters: ["sensors/sim-0/temperature"])
        let child = try ChildProcess(
            BuiltProducts.executable("sensor-sim"),
            [
                "run", "--broker", broker.url, "--sensors", "1", "--rate", "max", "--count", "20", "--skip-rate", "0", "--error-rate", "0",
                "--resend-buffer", "50", "--linger", "600", "--start-ts", "1795660000000",
            ],
            logPath: dir.file("sim.log"))
        defer { child.signal(SIGKILL) }
        try await live.recorder.wait(for: "the live readings") { $0.messages.count >= 20 }
        await live.close()
        /// Asks for seqs 5-9 every second (the simulator may still be reconnecting) until a
        /// watcher that came after the live readings sees them all resent.
        func askUntilAnswered(_ round: String) async throws {
            let watcher = try await Subscriber.connect(broker, id: "watcher-\(round)", filters: ["sensors/sim-0/temperature"])
            let requester = try await Subscriber.connect(broker, id: "requester-\(round)", filters: [])
            let asking = Task {
                while !Task.isCancelled {
                    let request = Array("{\"from_seq\":5,\"to_seq\":9,\"measurement\":\"temperature\"}".utf8)
                    _ = try? requester.client.publish(topic: "sensors/sim-0/resend", payload: request)
                    try await Task.sleep(for: .seconds(1))
                }
            }
            defer { asking.cancel() }
            try await watcher.recorder.wait(for: "seqs 5-9 resent (\(round))", timeout: .seconds(120)) { events in
                Set(events.messages.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.payload)) as? [String: Any])?["seq"] as? Int })
                    .isSuperset(of: 5...9)
            }
            await requester.close()
            await watcher.close()
        }
        try await askUntilAnswered("before the restart")
        try await broker.restart()
        try await askUntilAnswered("after the restart")
        #expect(child.isRunning, "\(child.output)")
    }

    @Test("the verifier fails a cleaned stream with a missing seq, disorder, an out-of-range estimate or a conflicting duplicate")
    func verifierCatchesBrokenStreams() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let truth = (0..<5).map { "{\"sensor_id\":\"s\",\"boot\":1,\"seq\":\($0),\"ts\":\($0),\"temperature\":52.0,\"status\":\"normal\",\"fault\":\"none\"}" }
        try truth.joined(separator: "\n").write(toFile: dir.file("truth.jsonl"), atomically: true, encoding: .utf8)
        func line(_ seq: Int, _ q: String = "ok", _ t: Double = 52.0, sensor: String = "s") -> String {
            "{\"sensor_id\":\"\(sensor)\",\"seq\":\(seq),\"ts\":\(seq),\"temperature\":\(t),\"status\":\"normal\",\"quality\":\"\(q)\",\"boot\":1}"
        }
        // Another fleet in the same capture, with a range of its own, is not judged by this one's.
        let good = (0..<5).map { line($0) } + [line(0, "synthetic", 80, sensor: "other-fleet")]
        let broken: [String: [String]] = [
            "missing": [line(0), line(1), line(3), line(4)],
            "disorder": [line(0), line(2), line(1), line(3), line(4)],
            "out of range": [line(0), line(1, "synthetic", 57), line(2), line(3), line(4)],
            "conflicting duplicate": good + [line(2, "ok", 53)],
        ]
        for (name, lines) in [("good", good)] + broken.sorted(by: { $0.key < $1.key }) {
            try lines.joined(separator: "\n").write(toFile: dir.file("c.jsonl"), atomically: true, encoding: .utf8)
            let child = try ChildProcess(
                BuiltProducts.executable("sensor-sim"), ["verify", "--truth", dir.file("truth.jsonl"), "--cleaned", dir.file("c.jsonl")],
                logPath: dir.file("\(name).log"))
            try await child.wait()
            #expect(child.exitCode == (name == "good" ? 0 : 1), "\(name): \(child.output)")
        }
    }

    @Test(
        "the verifier fails output that leaves out readings the sensors delivered (nothing at all, or the stream cut short); readings lost before the gateway are no failure"
    )
    func verifierCatchesMissingCoverage() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        func truthLine(_ seq: Int, _ fault: String) -> String {
            "{\"sensor_id\":\"s\",\"boot\":1,\"seq\":\(seq),\"ts\":\(seq),\"temperature\":52.0,\"status\":\"normal\",\"fault\":\"\(fault)\"}"
        }
        func line(_ seq: Int) -> String {
            "{\"sensor_id\":\"s\",\"seq\":\(seq),\"ts\":\(seq),\"temperature\":52.0,\"status\":\"normal\",\"quality\":\"ok\",\"boot\":1}"
        }
        // The last two readings never left the sensor (skip) or could not be read (corrupt).
        let truth = (0..<5).map { truthLine($0, "none") } + [truthLine(5, "skip"), truthLine(6, "corrupt")]
        try truth.joined(separator: "\n").write(toFile: dir.file("truth.jsonl"), atomically: true, encoding: .utf8)
        // With --tail-in-flight (a capture that ended at a fixed time) a cut-short tail is
        // reported, not failed; a stream with no output at all, or whose delivered first readings
        // never came out, still fails.
        let cases: [(String, [String], [String], Int32)] = [
            ("complete", (0..<5).map(line), [], 0),
            ("nothing", [], [], 1),
            ("cut short", [line(0), line(1)], [], 1),
            ("cut short, tail in flight", [line(0), line(1)], ["--tail-in-flight"], 0),
            ("nothing, tail in flight", [], ["--tail-in-flight"], 1),
            ("start cut, tail in flight", [line(3), line(4)], ["--tail-in-flight"], 1),
        ]
        for (name, lines, flags, expected) in cases {
            try lines.joined(separator: "\n").write(toFile: dir.file("c.jsonl"), atomically: true, encoding: .utf8)
            let child = try ChildProcess(
                BuiltProducts.executable("sensor-sim"),
                ["verify", "--truth", dir.file("truth.jsonl"), "--cleaned", dir.file("c.jsonl")] + flags,
                logPath: dir.file("\(name).log"))
            try await child.wait()
            #expect(child.exitCode == expected, "\(name): \(child.output)")
            #expect(child.output.contains(expected == 0 ? "PASS" : "FAIL"), "\(name): \(child.output)")
        }
    }
}
