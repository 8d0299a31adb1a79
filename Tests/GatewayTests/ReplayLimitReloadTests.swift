import Foundation
import Testing
import TestSupport
@testable import Gateway

/// `replay-max-concurrent` changed by a reload (found black-box: a SIGHUP logged the change as
/// applied, and the limit the gateway started with went on deciding).
@Suite("Replay limits reloaded into a running gateway")
struct ReplayLimitReloadTests {
    @Test("the limit in force when a request comes decides: 0 turns replays off with its own answer, a raised one lets them run")
    func concurrencyReloaded() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["replay/#"])
        let requester = try await TestSensorFleet.connect(broker, answersResends: false)
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "rl")
        func reload(maxConcurrent: Int) {
            var limits = gateway.live.current.replay
            limits.maxConcurrent = maxConcurrent
            gateway.live.apply(engine: gateway.live.current.engine, replay: limits, logLevel: gateway.live.current.logLevel)
        }
        func ask(_ id: String) async throws -> String {
            let request = #"{"request_id":"\#(id)","sensor_id":"*","from":0,"to":60000}"#
            try requester.client.publish(topic: "gateway/rl/replay", payload: Array(request.utf8))
            try await watcher.recorder.wait(for: "the answer to \(id)") { events in events.messages.contains { $0.topic == "replay/\(id)" } }
            return await watcher.messages(on: "replay/\(id)").map { String(decoding: $0.payload, as: UTF8.self) }.joined(separator: "\n")
        }
        reload(maxConcurrent: 0)
        #expect(try await ask("off") == #"{"request_id":"off","error":"replays are turned off on this gateway (replay-max-concurrent 0)"}"#)
        reload(maxConcurrent: 1)
        let answered = try await ask("on")
        #expect(!answered.contains("error") && answered.contains(#""done":true"#), "\(answered)")
        try await waitUntil("the refusal counted") { gateway.status.snapshot.runtime.replays == 2 }
        #expect(gateway.status.snapshot.runtime.replaysRefused == ["off": 1])
        try await gateway.stop()
    }
}
