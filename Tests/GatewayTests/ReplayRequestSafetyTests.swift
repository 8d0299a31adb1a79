import Foundation
import MQTT
import Testing
import TestSupport
import Wire
@testable import Gateway

@Suite("Replay requests that must not misfire")
struct ReplayRequestSafetyTests {
    @Test("a NUL or control character in request_id or reply_topic is refused, never cut short into another topic")
    func controlCharacters() {
        func parse(_ json: String) -> ReplayResponder.Parsed { ReplayResponder.parse(Array(json.utf8)) }
        guard case .invalid(nil, nil, let e1) = parse(#"{"request_id":"a\u0000b","sensor_id":"*","from":0,"to":1}"#) else {
            Issue.record("a NUL in request_id was accepted")
            return
        }
        #expect(e1.contains("control characters"))
        guard case .invalid("r", "replay/r", let e2) = parse(#"{"request_id":"r","sensor_id":"*","from":0,"to":1,"reply_topic":"replay/x\u0000/y"}"#) else {
            Issue.record("a NUL in reply_topic was accepted")
            return
        }
        #expect(e2.contains("control characters"))
        guard case .invalid(nil, nil, _) = parse(#"{"request_id":"\#(String(repeating: "x", count: 129))","sensor_id":"*","from":0,"to":1}"#) else {
            Issue.record("a 129-byte request_id was accepted")
            return
        }
        // C1 controls and noncharacters, which mosquitto refuses to publish ("Malformed UTF-8"):
        // such a request got no answer and no dead letter (found black-box).
        for bad in [#"\u0085"#, #"\uffff"#, #"\ufdd0"#] {
            guard case .invalid(nil, nil, _) = parse(#"{"request_id":"w4\#(bad)","sensor_id":"*","from":0,"to":1}"#) else {
                Issue.record("request_id with \(bad) was accepted")
                return
            }
            guard case .invalid("r", "replay/r", _) = parse(#"{"request_id":"r","sensor_id":"*","from":0,"to":1,"reply_topic":"replay/\#(bad)x"}"#)
            else {
                Issue.record("reply_topic with \(bad) was accepted")
                return
            }
        }
        guard case .invalid("r", "replay/r", let wildcard) = parse(#"{"request_id":"r","sensor_id":"*","from":0,"to":1,"reply_topic":"replay/#"}"#) else {
            Issue.record("a wildcard reply_topic was accepted")
            return
        }
        #expect(wildcard.contains("wildcards"))
        guard case .invalid("r", "replay/r", let bare) = parse(#"{"request_id":"r","sensor_id":"*","from":0,"to":1,"reply_topic":"replay/"}"#) else {
            Issue.record("replay/ itself was accepted as a reply_topic")
            return
        }
        #expect(bare.contains("not replay/ itself"))
        guard case .request(let ok) = parse(#"{"request_id":"r-1.ok","sensor_id":"*","from":0,"to":1}"#) else {
            Issue.record("a plain request was refused")
            return
        }
        #expect(ok.replyTopic == "replay/r-1.ok")
    }

    @Test("a window between extreme times is refused as too wide, not an arithmetic overflow that stopped the gateway (found black-box)")
    func extremeWindow() throws {
        for (from, to) in [(Int64.min, Int64(0)), (Int64.min + 1, Int64.max), (Int64(-1), Int64.max)] {
            let request = #"{"request_id":"r","sensor_id":"*","from":\#(from),"to":\#(to)}"#
            guard case .invalid("r", "replay/r", let error) = ReplayResponder.parse(Array(request.utf8)) else {
                Issue.record("from \(from) to \(to) was not refused")
                continue
            }
            #expect(error.contains("window too wide"))
        }
        // The widest window the limit allows, starting at the earliest time, is a request.
        let earliest = #"{"request_id":"r","sensor_id":"*","from":\#(Int64.min),"to":\#(Int64.min + 3_600_000)}"#
        guard case .request(let request) = ReplayResponder.parse(Array(earliest.utf8)) else {
            Issue.record("a window of the allowed width at the earliest time was refused")
            return
        }
        #expect(request.query.from == Int64.min)
    }

    @Test("a reply_topic deeper than a broker allows is refused with an error, and the output connection stays up")
    func deepReplyTopic() async throws {
        let bench = try await ReplayBench.start()
        defer { bench.cleanUp() }
        let (broker, dir, watcher, requester) = (bench.broker, bench.dir, bench.watcher, bench.requester)
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "deep")
        try await waitUntil("the output connection to subscribe the replay topic") { gateway.status.snapshot.connected }
        // 201 levels: mosquitto drops a client that publishes there (found black-box: the output
        // connection then fell every second, the answer sent again at each reconnection).
        let deep = "replay/" + Array(repeating: "x", count: 200).joined(separator: "/")
        _ = try requester.publish(
            topic: "gateway/deep/replay",
            payload: Array(#"{"request_id":"deep","sensor_id":"*","from":0,"to":1000,"reply_topic":"\#(deep)"}"#.utf8), qos: .atLeastOnce)
        _ = try requester.publish(
            topic: "gateway/deep/replay", payload: Array(#"{"request_id":"after","sensor_id":"*","from":0,"to":1000}"#.utf8), qos: .atLeastOnce)
        try await watcher.recorder.wait(for: "both requests answered") { events in
            events.messages.contains { $0.topic == "replay/deep" && String(decoding: $0.payload, as: UTF8.self).contains("levels") }
                && events.messages.contains { $0.topic == "replay/after" && String(decoding: $0.payload, as: UTF8.self).contains("\"done\":true") }
        }
        #expect(await watcher.messages(on: deep).isEmpty)
        try await gateway.stop()
        #expect(gateway.status.snapshot.runtime.outputReconnects == 0)
        await requester.disconnect()
        await watcher.close()
    }

    @Test("a retained replay request is not answered (it would run again at every connection); a live one is")
    func retainedRequestIgnored() async throws {
        let bench = try await ReplayBench.start()
        defer { bench.cleanUp() }
        let (broker, dir, watcher, requester) = (bench.broker, bench.dir, bench.watcher, bench.requester)
        let retainedMID = try requester.publish(
            topic: "gateway/rr/replay", payload: Array(#"{"request_id":"kept","sensor_id":"*","from":0,"to":1000}"#.utf8), qos: .atLeastOnce,
            retain: true)
        try await waitUntil("the broker to take the retained request") { await requester.nextEvents().contains(.published(messageID: retainedMID)) }
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "rr")
        try await waitUntil("the output connection to subscribe the replay topic") { gateway.status.snapshot.connected }
        _ = try requester.publish(
            topic: "gateway/rr/replay", payload: Array(#"{"request_id":"live","sensor_id":"*","from":0,"to":1000}"#.utf8), qos: .atLeastOnce)
        try await watcher.recorder.wait(for: "the live request answered") { events in
            events.messages.contains { $0.topic == "replay/live" && String(decoding: $0.payload, as: UTF8.self).contains("\"done\":true") }
        }
        try await gateway.stop()
        // The status as the drain left it: every request the gateway started a replay for.
        #expect(gateway.status.snapshot.runtime.replays == 1)
        #expect(await watcher.messages(on: "replay/kept").isEmpty)
        await requester.disconnect()
        await watcher.close()
    }

    @Test("a request's bounds written as fractional seconds are read as a reading's ts is, and a key given twice is refused (found black-box)")
    func boundsAndRepeatedKeys() throws {
        guard case .request(let seconds) = ReplayResponder.parse(Array(#"{"request_id":"s","sensor_id":"*","from":1796485910.0,"to":1796485912.5}"#.utf8))
        else {
            Issue.record("fractional seconds refused")
            return
        }
        #expect(seconds.query.from == 1_796_485_910_000 && seconds.query.to == 1_796_485_912_500)
        guard case .request(let text) = ReplayResponder.parse(Array(#"{"request_id":"t","sensor_id":"*","from":"1796485910.0","to":"1796485912.5"}"#.utf8))
        else {
            Issue.record("fractional seconds as text refused")
            return
        }
        #expect(text.query.from == 1_796_485_910_000 && text.query.to == 1_796_485_912_500)
        guard
            case .invalid("d", "replay/d", let error) = ReplayResponder.parse(
                Array(#"{"request_id":"d","sensor_id":"f1","sensor_id":"*","from":0,"to":1}"#.utf8))
        else {
            Issue.record("a repeated key answered")
            return
        }
        #expect(error.contains("sensor_id given more than once"), "\(error)")
    }
}

/// A private broker, a data folder, a subscriber on `replay/#` and a connected requester.
private struct ReplayBench {
    let broker: TestBroker
    let dir: TemporaryDirectory
    let watcher: Subscriber
    let requester: MQTTClient

    static func start() async throws -> ReplayBench {
        let broker = try await TestBroker.start()
        let dir = try TemporaryDirectory()
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["replay/#"])
        let requester = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "requester"))
        try await requester.connect()
        return ReplayBench(broker: broker, dir: dir, watcher: watcher, requester: requester)
    }

    func cleanUp() {
        dir.remove()
        broker.shutdown()
    }
}
