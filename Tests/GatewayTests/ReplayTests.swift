import Wire
import Foundation
import MQTT
import Testing
import TestSupport
@testable import Gateway

@Suite("Replay over MQTT and offline")
struct ReplayTests {
    @Test("replays equal the live output for the window; a window beyond the journal's start says truncated")
    func replays() async throws {
        // A 1 MiB journal (16 segments of 64 KiB) wraps after a few thousand readings.
        let scenario = try await GatewayScenario.start(
            watching: ["cleaned/#", "replay/#"], gatewayFlags: ["--journal-max-bytes", "1048576"],
            answersResends: false)
        defer { scenario.cleanUp() }
        let (watcher, fleet, dir) = (scenario.watcher, scenario.fleet, scenario.directory)
        let base: Int64 = 1_795_660_000_000
        // w's readings, then v's, push w out of the 1 MiB journal entirely.
        for sensor in ["w", "v"] {
            for seq in UInt64(0)..<6000 {
                try fleet.measure(sensor, seq: seq, ts: base + Int64(seq) * 10, temperature: 52)
            }
            try await watcher.recorder.wait(for: "\(sensor) cleaned", timeout: .seconds(120)) { events in
                events.messages.compactMap(CleanedReading.init).contains { $0.sensorID == sensor && $0.seq == 5999 }
            }
        }
        for seq in UInt64(0)..<40 where seq != 17 {
            try fleet.measure("x", seq: seq, ts: base + 100_000 + Int64(seq) * 1000, temperature: 50 + Double(seq % 5))
        }
        try await watcher.recorder.wait(for: "live output", timeout: .seconds(120)) { events in
            let views = events.messages.compactMap(CleanedReading.init)
            return views.contains { $0.sensorID == "x" && $0.seq == 39 } && views.contains { $0.sensorID == "w" && $0.seq == 5999 }
        }
        let from = base + 105_000, to = base + 125_000
        let live = await watcher.messages(on: "cleaned/x/").map { String(decoding: $0.payload, as: UTF8.self) }.filter {
            let ts = (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["ts"] as? Int64 ?? 0
            return ts >= from && ts < to
        }
        #expect(live.count == 20)
        #expect(live.contains { $0.contains("\"quality\":\"synthetic\"") })

        let request = "{\"request_id\":\"r1\",\"sensor_id\":\"x\",\"from\":\(from),\"to\":\"2026-11-26T02:28:45Z\"}"
        try fleet.client.publish(topic: "gateway/gw/replay", payload: Array(request.utf8))
        try await watcher.recorder.wait(for: "replay done") {
            $0.messages.contains { $0.topic == "replay/r1" && String(decoding: $0.payload, as: UTF8.self).contains("\"done\":true") }
        }
        let replayed = await watcher.messages(on: "replay/r1").map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(Array(replayed.dropLast()) == live)
        #expect(replayed.last == "{\"request_id\":\"r1\",\"done\":true,\"count\":20}")

        // All sensors: in this window only x has readings, so the answer is the same 20.
        try fleet.client.publish(topic: "gateway/gw/replay", payload: Array("{\"request_id\":\"all\",\"sensor_id\":\"*\",\"from\":\(from),\"to\":\(to)}".utf8))
        try await watcher.recorder.wait(for: "replay of all sensors") {
            $0.messages.contains { $0.topic == "replay/all" && String(decoding: $0.payload, as: UTF8.self).contains("\"done\":true") }
        }
        let all = await watcher.messages(on: "replay/all").map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(Array(all.dropLast()) == live)
        #expect(all.last == "{\"request_id\":\"all\",\"done\":true,\"count\":20}")

        let (code, output) = try await GatewayProcess.runTool(
            ["replay", "--data-dir", scenario.dataDirectory, "--sensor", "x", "--from", "\(from)", "--to", "\(to)"],
            logPath: dir.file("replay.log"))
        #expect(code == 0)
        #expect(output.split(separator: "\n").map(String.init) == live)

        // "format": csv and influx: one message per line of `export` for the same window (csv
        // with its header line first), then the same `done`; an unknown format is refused.
        for format in ["csv", "influx"] {
            let id = "f-\(format)"
            try fleet.client.publish(
                topic: "gateway/gw/replay",
                payload: Array("{\"request_id\":\"\(id)\",\"sensor_id\":\"x\",\"from\":\(from),\"to\":\(to),\"format\":\"\(format)\"}".utf8))
            try await watcher.recorder.wait(for: "the \(format) replay") {
                $0.messages.contains { $0.topic == "replay/\(id)" && String(decoding: $0.payload, as: UTF8.self).contains("\"done\":true") }
            }
            let answer = await watcher.messages(on: "replay/\(id)").map { String(decoding: $0.payload, as: UTF8.self) }
            let (exportCode, exported) = try await GatewayProcess.runTool(
                ["export", "--data-dir", scenario.dataDirectory, "--sensor", "x", "--from", "\(from)", "--to", "\(to)", "--format", format],
                logPath: dir.file("export-\(format).log"))
            #expect(exportCode == 0)
            #expect(Array(answer.dropLast()) == exported.split(separator: "\n").map(String.init), "\(format)")
            #expect(answer.last == "{\"request_id\":\"\(id)\",\"done\":true,\"count\":20}")
        }
        try fleet.client.publish(
            topic: "gateway/gw/replay", payload: Array("{\"request_id\":\"f-bad\",\"sensor_id\":\"x\",\"from\":\(from),\"to\":\(to),\"format\":\"xml\"}".utf8))
        try await watcher.recorder.wait(for: "the refusal of format xml") { $0.messages.contains { $0.topic == "replay/f-bad" } }
        #expect(
            await watcher.messages(on: "replay/f-bad").map { String(decoding: $0.payload, as: UTF8.self) } == [
                "{\"request_id\":\"f-bad\",\"error\":\"format must be json, csv or influx\"}"
            ])

        try fleet.client.publish(
            topic: "gateway/gw/replay", payload: Array("{\"request_id\":\"r2\",\"sensor_id\":\"w\",\"from\":\(base),\"to\":\(base + 1000)}".utf8))
        try fleet.client.publish(
            topic: "gateway/gw/replay", payload: Array("{\"request_id\":\"r3\",\"sensor_id\":\"w\",\"from\":1,\"to\":2,\"reply_topic\":\"elsewhere/r3\"}".utf8))
        try await watcher.recorder.wait(for: "answers to r2 and r3") { events in
            events.messages.contains { $0.topic == "replay/r2" && String(decoding: $0.payload, as: UTF8.self).contains("request_id") }
                && events.messages.contains { $0.topic == "replay/r3" }
        }
        let r2 = await watcher.messages(on: "replay/r2").map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(r2.count == 1)
        #expect(r2.last?.contains("\"truncated\":true") == true, "\(r2)")
        #expect(r2.last?.contains("\"oldest_available\":") == true)
        let r3 = await watcher.messages(on: "replay/r3").map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(r3 == ["{\"request_id\":\"r3\",\"error\":\"reply_topic must lie under replay/\"}"])
        #expect(try await scenario.finish() == 0)
    }

    @Test("an empty window (from == to: from <= ts < to holds nothing) is answered done with 0; a backwards one is an error (found black-box, 62nd review)")
    func emptyAndBackwardsWindows() async throws {
        let scenario = try await GatewayScenario.start(watching: ["replay/#"], answersResends: false)
        defer { scenario.cleanUp() }
        let answers = try await Self.answers(
            scenario,
            [
                "empty": #"{"request_id":"empty","sensor_id":"*","from":5000,"to":5000}"#,
                "back": #"{"request_id":"back","sensor_id":"*","from":5001,"to":5000}"#,
            ])
        #expect(answers["empty"] == [#"{"request_id":"empty","done":true,"count":0}"#])
        #expect(answers["back"] == [#"{"request_id":"back","error":"from must not be after to"}"#])
        #expect(try await scenario.finish() == 0)
        // Without reading the journal (84th review: the read held a replay slot for a second):
        // a folder that holds none answers the same.
        let none = try ReplayQuery(sensorID: nil, from: 5000, to: 5000).run(journalDirectory: "/nonexistent/journal") { _ in }
        #expect(none == ReplayQuery.Result())
    }

    @Test("requests beyond the limits get an error reply: a window wider than replay-max-window-s, or no free replay slot")
    func limits() async throws {
        let scenario = try await GatewayScenario.start(
            watching: ["replay/#"], gatewayFlags: ["--replay-max-concurrent", "0", "--replay-max-window-s", "60"],
            answersResends: false)
        defer { scenario.cleanUp() }
        let answers = try await Self.answers(
            scenario,
            [
                "wide": #"{"request_id":"wide","sensor_id":"*","from":0,"to":60001}"#,
                "busy": #"{"request_id":"busy","sensor_id":"*","from":0,"to":60000}"#,
            ])
        #expect(answers["wide"] == [#"{"request_id":"wide","error":"window too wide: at most 60 s per request (replay-max-window-s); ask in pieces"}"#])
        #expect(answers["busy"] == [#"{"request_id":"busy","error":"replays are turned off on this gateway (replay-max-concurrent 0)"}"#])
        #expect(try await scenario.finish() == 0)
    }

    /// Sends each request (by request id) and returns what came on each `replay/<id>` once every
    /// one has had an answer.
    static func answers(_ scenario: GatewayScenario, _ requests: [String: String]) async throws -> [String: [String]] {
        for (_, request) in requests.sorted(by: { $0.key < $1.key }) {
            try scenario.fleet.client.publish(topic: "gateway/gw/replay", payload: Array(request.utf8))
        }
        let topics = Set(requests.keys.map { "replay/\($0)" })
        try await scenario.watcher.recorder.wait(for: "an answer to each request") { events in Set(events.messages.map(\.topic)).isSuperset(of: topics) }
        var out: [String: [String]] = [:]
        for id in requests.keys {
            out[id] = await scenario.watcher.messages(on: "replay/\(id)").map { String(decoding: $0.payload, as: UTF8.self) }
        }
        return out
    }
}
