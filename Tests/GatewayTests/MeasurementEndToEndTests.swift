import Foundation
import MQTT
import TestSupport
import Testing
import Wire

/// A mixed line through the real executable and a real broker: temperature, humidity in JSON
/// and pressure in CSV from the same gateway, with a gap, an out-of-range reading and a restart.
@Suite(.timeLimit(.minutes(5)))
struct MeasurementEndToEndTests {
    static let config = """
        measurement.humidity.unit: %RH
        measurement.humidity.valid-min: 0
        measurement.humidity.valid-max: 100
        measurement.pressure.unit: bar
        measurement.pressure.valid-min: 0.5
        measurement.pressure.valid-max: 1.5
        measurement.pressure.fill: locf
        """

    @Test(
        "humidity (JSON) and pressure (CSV) beside temperature: each on its own cleaned/ topic with its field and unit, its gap asked for by measurement and filled, its range applied; after a restart each stream continues without repeating anything"
    )
    func mixedLine() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Self.config.write(toFile: dir.file("gateway.conf"), atomically: true, encoding: .utf8)
        let watcher = try await Subscriber.connect(broker, id: "measure-watcher", filters: ["cleaned/#", "dlq/#", "sensors/+/resend"])
        var gateway = try GatewayProcess.start(broker: broker, dataDirectory: dir.file("data"), extra: ["--config", dir.file("gateway.conf")])
        try await gateway.waitUntilConnected()
        let sender = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "measure-sender"))
        try await sender.connect()
        let base: Int64 = 1_795_660_000_000
        func send(_ topic: String, _ body: String) throws { try sender.publish(topic: topic, payload: Array(body.utf8), qos: .atLeastOnce) }
        func humidity(_ seq: Int, _ value: Double) throws {
            try send("sensors/line-1/humidity", "{\"seq\":\(seq),\"ts\":\(base + Int64(seq) * 1000),\"value\":\(value),\"status\":\"normal\"}")
        }
        func pressure(_ seq: Int, _ value: Double) throws { try send("sensors/line-1/pressure", "\(seq),\(base + Int64(seq) * 1000),\(value),normal") }
        func temperature(_ seq: Int) throws {
            try send("sensors/line-1/temperature", "{\"seq\":\(seq),\"ts\":\(base + Int64(seq) * 1000),\"temperature\":52.5,\"status\":\"normal\"}")
        }
        for seq in 0..<4 {
            if seq != 2 { try humidity(seq, seq == 3 ? 130 : 40 + Double(seq)) }
            if seq != 1 { try pressure(seq, 1.0 + Double(seq) / 100) }
            try temperature(seq)
        }
        // Waits until each of the three streams has published seq `seq`.
        func everyStream(reaches seq: Int) async throws {
            try await watcher.recorder.wait(for: "every stream's seq \(seq)", timeout: .seconds(120)) { events in
                let topics = events.messages.filter {
                    $0.topic.hasPrefix("cleaned/") && String(decoding: $0.payload, as: UTF8.self).contains("\"seq\":\(seq),")
                }
                return Set(topics.map(\.topic)).count == 3
            }
        }
        func cleaned(_ measurement: String) async -> [String] {
            await watcher.messages(on: "cleaned/line-1/\(measurement)").map { String(decoding: $0.payload, as: UTF8.self) }
        }
        try await everyStream(reaches: 3)
        let hum = await cleaned("humidity")
        #expect(hum.count == 4)
        #expect(hum.first == "{\"sensor_id\":\"line-1\",\"seq\":0,\"ts\":\(base),\"humidity\":40.0,\"unit\":\"%RH\",\"status\":\"normal\",\"quality\":\"ok\"}")
        #expect(hum[2].contains("\"seq\":2,") && hum[2].contains("\"quality\":\"synthetic\""), "\(hum)")
        #expect(hum[3].contains("\"quality\":\"corrected\"") && hum[3].contains("\"raw\":130.0"), "\(hum)")
        let pres = await cleaned("pressure")
        #expect(pres.first == "{\"sensor_id\":\"line-1\",\"seq\":0,\"ts\":\(base),\"pressure\":1.0,\"unit\":\"bar\",\"status\":\"normal\",\"quality\":\"ok\"}")
        #expect(pres.count == 4 && pres[1].contains("\"pressure\":1.0,") && pres[1].contains("\"method\":\"locf\""), "\(pres)")
        #expect(
            await cleaned("temperature").first
                == "{\"sensor_id\":\"line-1\",\"seq\":0,\"ts\":\(base),\"temperature\":52.5,\"status\":\"normal\",\"quality\":\"ok\"}")
        let requests = await watcher.messages(on: "sensors/line-1/resend").map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(requests.contains("{\"from_seq\":2,\"to_seq\":2,\"measurement\":\"humidity\"}"), "\(requests)")
        #expect(requests.contains("{\"from_seq\":1,\"to_seq\":1,\"measurement\":\"pressure\"}"), "\(requests)")
        #expect(await watcher.messages(on: "dlq/").map(\.topic) == ["dlq/line-1/humidity"])

        // A restart: every stream continues from where it stopped.
        #expect(try await gateway.terminate() == 0)
        let before = await watcher.recorder.messages.count
        gateway = try GatewayProcess.start(
            broker: broker, dataDirectory: dir.file("data"), extra: ["--config", dir.file("gateway.conf")], logName: "second.log")
        try await gateway.waitUntilConnected()
        try humidity(4, 44)
        try pressure(4, 1.04)
        try temperature(4)
        try await everyStream(reaches: 4)
        let after = await watcher.recorder.messages[before...].filter { $0.topic.hasPrefix("cleaned/") }
        #expect(after.count == 3, "\(after.map { String(decoding: $0.payload, as: UTF8.self) })")
        #expect(
            after.allSatisfy {
                String(decoding: $0.payload, as: UTF8.self).contains("\"seq\":4,\"")
                    && String(decoding: $0.payload, as: UTF8.self).contains("\"quality\":\"ok\"")
            })
        _ = try await gateway.terminate()
        await sender.disconnect()
        await watcher.close()

        // The export of one measurement: its five seqs, once each, with its unit.
        let (code, _) = try await GatewayProcess.runTool(
            [
                "export", "--data-dir", dir.file("data"), "--from", "\(base)", "--to", "\(base + 60_000)", "--measurement", "humidity",
                "--format", "csv", "--output", dir.file("humidity.csv"),
            ], logPath: dir.file("export.log"))
        #expect(code == 0)
        let rows = try String(contentsOfFile: dir.file("humidity.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(
            rows.map { $0.split(separator: ",", omittingEmptySubsequences: false).prefix(9).joined(separator: ",") } == [
                "line-1,humidity,,0,\(base),40.0,%RH,normal,ok",
                "line-1,humidity,,1,\(base + 1000),41.0,%RH,normal,ok",
                "line-1,humidity,,2,\(base + 2000),41.0,%RH,normal,synthetic",
                "line-1,humidity,,3,\(base + 3000),\(hum[3].split(separator: "\"humidity\":")[1].prefix { $0 != "," }),%RH,normal,corrected",
                "line-1,humidity,,4,\(base + 4000),44.0,%RH,normal,ok",
            ])
        // A misspelt measurement: the header only, and a note that says why.
        let (typo, note) = try await GatewayProcess.runTool(
            ["export", "--data-dir", dir.file("data"), "--from", "\(base)", "--to", "\(base + 60_000)", "--measurement", "humdity", "--format", "csv"],
            logPath: dir.file("export-typo.log"))
        #expect(typo == 0)
        #expect(note.contains("note: no cleaned readings of measurement humdity in the window"), "\(note)")
    }
}

/// Simulated fleets of two measurements on one gateway, scored by the verifier each.
@Suite(.timeLimit(.minutes(6)))
struct MeasurementFleetTests {
    @Test(
        "sensor-sim fleets of temperature (old firmware: temp_c, sn, time) and humidity (half of them CSV) with the field's faults: the verifier passes each measurement"
    )
    func twoFleets() async throws {
        let configDir = try TemporaryDirectory()
        defer { configDir.remove() }
        let config = configDir.file("gateway.conf")
        try
            "json-fields: value=temp_c, seq=sn, ts=time\nmeasurement.humidity.unit: %RH\nmeasurement.humidity.valid-min: 20\nmeasurement.humidity.valid-max: 80\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#"], gatewayFlags: ["--config", config], answersResends: false)
        defer { scenario.cleanUp() }
        let (watcher, dir) = (scenario.watcher, scenario.directory)
        func fleet(_ measurement: [String], seed: Int, truth: String) throws -> ChildProcess {
            try ChildProcess(
                BuiltProducts.executable("sensor-sim"),
                [
                    "run", "--broker", scenario.broker.url, "--sensors", "6", "--rate", "20", "--count", "100", "--resend-buffer", "100",
                    "--linger", "15", "--seed", "\(seed)", "--truth", truth, "--start-ts", "1795660000000",
                ] + measurement, logPath: dir.file("sim-\(seed).log"))
        }
        let humidityFlags = ["--measurement", "humidity", "--valid-min", "20", "--valid-max", "80"]
        let temperature = try fleet(["--json-fields", "value=temp_c,seq=sn,ts=time"], seed: 3, truth: dir.file("truth-t.jsonl"))
        let humidity = try fleet(humidityFlags + ["--csv-fraction", "0.5"], seed: 4, truth: dir.file("truth-h.jsonl"))
        try await temperature.wait(timeout: .seconds(180))
        try await humidity.wait(timeout: .seconds(180))
        #expect(temperature.exitCode == 0 && humidity.exitCode == 0, "\(humidity.output.suffix(500))")
        try await watcher.recorder.wait(for: "seq 99 of every simulated stream", timeout: .seconds(120)) { events in
            let covered = events.messages.filter { $0.topic.hasPrefix("cleaned/sim-") }.compactMap { m in
                CleanedReading(m).flatMap { ($0.toSeq ?? $0.seq) >= 99 ? m.topic : nil }
            }
            return Set(covered).count == 12
        }
        let t = try await SimulatorVerifier.verify(watcher, truth: dir.file("truth-t.jsonl"), in: dir, measurement: ("temperature", []))
        #expect(t.exitCode == 0, "\(t.output.suffix(1500))")
        let h = try await SimulatorVerifier.verify(watcher, truth: dir.file("truth-h.jsonl"), in: dir, measurement: ("humidity", humidityFlags))
        #expect(h.exitCode == 0, "\(h.output.suffix(1500))")
        #expect(h.output.contains("%RH"), "\(h.output.suffix(1500))")
        #expect(try await scenario.finish() == 0)
    }
}
