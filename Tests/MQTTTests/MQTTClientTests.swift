import Foundation
import Synchronization
@testable import MQTT
import Testing
import TestSupport

@Suite("MQTT client against a real mosquitto")
struct MQTTClientTests {
    @Test("round trip keeps the payload bytes", arguments: QoS.allCases)
    func roundTrip(qos: QoS) async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let sub = try await Connected.make(broker, id: "sub-\(qos.rawValue)", cleanSession: true)
        let pub = try await Connected.make(broker, id: "pub-\(qos.rawValue)", cleanSession: true)
        try await sub.subscribe("rt/#", qos: qos)

        let payload: [UInt8] = Array("{\"qos\":\(qos.rawValue)}".utf8) + [0x00, 0xFF, 0x80, 0x0A]
        let mid = try pub.client.publish(topic: "rt/\(qos.rawValue)", payload: payload, qos: qos)
        try await sub.recorder.wait(for: "message") { !$0.messages.isEmpty }
        let received = await sub.recorder.messages
        #expect(received == [MQTTMessage(topic: "rt/\(qos.rawValue)", payload: payload, qos: qos, retain: false)])
        if qos != .atMostOnce {
            try await pub.recorder.wait(for: "ack") { $0.contains(.published(messageID: mid)) }
        }
        await sub.close()
        await pub.close()
    }

    @Test("10,000 QoS 1 messages arrive in order and every publish is acknowledged")
    func tenThousandInOrder() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let sub = try await Connected.make(broker, id: "bulk-sub", cleanSession: true)
        let pub = try await Connected.make(broker, id: "bulk-pub", cleanSession: true)
        try await sub.subscribe("bulk/t")
        let total = 10_000
        var mids = Set<MessageID>()
        for i in 0..<total {
            mids.insert(try pub.client.publish(topic: "bulk/t", payload: Array("\(i)".utf8), qos: .atLeastOnce))
        }
        #expect(mids.count == total)
        try await pub.recorder.wait(for: "all acks", timeout: .seconds(120)) { events in
            events.count { if case .published = $0 { true } else { false } } >= total
        }
        try await sub.recorder.wait(for: "all messages", timeout: .seconds(120)) { $0.messages.count >= total }
        let acked = Set(await pub.recorder.events.compactMap { if case .published(let m) = $0 { m } else { nil } })
        #expect(acked == mids)
        let bodies = await sub.recorder.messages.map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(bodies == (0..<total).map(String.init))
        await sub.close()
        await pub.close()
    }

    @Test("publishes queued just before disconnect() still reach the broker, then the DISCONNECT")
    func publishThenDisconnect() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let receiver = try await Connected.make(broker, id: "receiver")
        try await receiver.subscribe("burst/#")
        var config = MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "burster")
        config.cleanSession = true
        let sender = try MQTTClient(config)
        try await sender.connect()
        for i in 0..<500 { try sender.publish(topic: "burst/\(i)", payload: Array("\(i)".utf8), qos: .atLeastOnce) }
        await sender.disconnect()
        try await receiver.recorder.wait(for: "all 500") { events in
            events.filter { if case .message(let m) = $0 { m.topic.hasPrefix("burst/") } else { false } }.count == 500
        }
        await receiver.close()
    }

    @Test("a broker restart: the client reconnects, keeps its subscription, and queued QoS 1 messages reach the persistent session")
    func reconnectAfterBrokerRestart() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }

        // A live subscriber rides through the restart.
        let live = try await Connected.make(broker, id: "live-sub")
        try await live.subscribe("restart/live")

        // A persistent subscriber goes away; messages for it queue at the broker.
        let offline = try await Connected.make(broker, id: "queued-sub")
        try await offline.subscribe("restart/queued")
        await offline.close()

        let pub = try await Connected.make(broker, id: "restart-pub", cleanSession: true)
        var mids: [MessageID] = []
        for i in 0..<50 { mids.append(try pub.client.publish(topic: "restart/queued", payload: Array("q\(i)".utf8))) }
        let expectedMids = Set(mids)
        try await pub.recorder.wait(for: "queued acks") { events in
            expectedMids.isSubset(of: Set(events.compactMap { if case .published(let m) = $0 { m } else { nil } }))
        }

        try await broker.restart()
        try await live.recorder.wait(for: "reconnect") { $0.connectedCount >= 2 }
        try await pub.recorder.wait(for: "publisher reconnect") { $0.connectedCount >= 2 }
        #expect(await live.recorder.events.contains { if case .disconnected(_, false) = $0 { true } else { false } })

        try pub.client.publish(topic: "restart/live", payload: Array("after".utf8))
        try await live.recorder.wait(for: "message after restart") { $0.messages.contains { $0.payload == Array("after".utf8) } }

        // Same client id, no new subscription: the broker delivers what it queued.
        let back = try await Connected.make(broker, id: "queued-sub")
        try await back.recorder.wait(for: "queued messages") { $0.messages.count >= 50 }
        #expect(await back.recorder.messages.map { String(decoding: $0.payload, as: UTF8.self) } == (0..<50).map { "q\($0)" })

        for c in [live, pub, back] { await c.close() }
    }

    @Test("the will is published when the client dies without DISCONNECT")
    func willOnAbruptDeath() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let watcher = try await Connected.make(broker, id: "watcher", cleanSession: true)
        try await watcher.subscribe("wills/#")
        let dying = try await Connected.make(broker, id: "dying", cleanSession: true) { config in
            config.will = .init(topic: "wills/dying", payload: Array("{\"state\":\"offline\"}".utf8), qos: .atLeastOnce, retain: false)
        }
        dying.client.dropConnectionWithoutDisconnect()
        try await watcher.recorder.wait(for: "will") { !$0.messages.isEmpty }
        #expect(await watcher.recorder.messages.first?.payload == Array("{\"state\":\"offline\"}".utf8))
        #expect(await watcher.recorder.messages.first?.topic == "wills/dying")
        await dying.close()
        await watcher.close()
    }

    @Test("a host name that does not resolve says so (libmosquitto's own text was \"Lookup error.\")")
    func unresolvableHost() async throws {
        let client = try MQTTClient(MQTTConfiguration(host: "no-such-host.invalid", port: 1883, clientID: "nobody"))
        let error = await #expect(throws: MQTTError.self) { try await client.connect() }
        #expect(error?.message.contains("host name could not be resolved") == true, "\(String(describing: error))")
    }

    @Test("a refused connection (nothing listening) throws the system's reason")
    func refusedPort() async throws {
        let port = LoopbackNetwork.freePort()
        let client = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: port, clientID: "nobody"))
        let error = await #expect(throws: MQTTError.self) { try await client.connect() }
        #expect(error?.message.lowercased().contains("refused") == true, "\(String(describing: error))")
        #expect(error?.connackCode == nil)  // nothing answered: a socket error, not a CONNACK
    }

    @Test("a broker that accepts TCP and never answers the CONNECT fails the attempt after connackTimeoutSeconds, saying so")
    func unansweredConnect() async throws {
        let listener = try SilentListener()
        var config = MQTTConfiguration(host: "127.0.0.1", port: listener.port, clientID: "unanswered")
        config.keepAliveSeconds = 600  // not the keepalive: the CONNACK wait ends the attempt
        config.connackTimeoutSeconds = 1
        let client = try MQTTClient(config)
        let error = await #expect(throws: MQTTError.self) { try await client.connect() }
        #expect(
            error?.message.contains("the broker accepted the TCP connection but did not answer the MQTT CONNECT within 1 s") == true,
            "\(String(describing: error))")
        #expect(error?.code == 19 && error?.connackCode == nil)
        // libmosquitto's own text for its keepalive code is "Unknown error."; ours says what it means.
        #expect(MQTTError.describe(19) == "the broker did not answer within the keepalive interval")
    }

    @Test("bad credentials throw the broker's refusal")
    func badCredentials() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let passwords = try await TestBroker.passwordFile(users: ["plant"], in: dir)
        let broker = try await TestBroker.start(extraConfig: ["password_file \(passwords)"], anonymous: false)
        defer { broker.shutdown() }

        var config = MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "intruder")
        config.username = "plant"
        config.password = "wrong-password"
        let client = try MQTTClient(config)
        let error = await #expect(throws: MQTTError.self) { try await client.connect() }
        #expect(error?.message.lowercased().contains("not authori") == true, "\(String(describing: error))")
        #expect(error?.connackCode == 5)  // the broker's own code, not a generic refusal

        let good = try await Connected.make(broker, id: "good") {
            $0.username = "plant"; $0.password = "pw-plant"
        }
        await good.close()
    }
}

@Suite("MQTT client events handed over on the network thread")
struct MQTTClientOnEventsTests {
    @Test("with onEvents, a client's events reach the handler in order, and its own QoS 1 publications are acknowledged there")
    func eventsReachTheHandler() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let seen = Mutex<[MQTTEvent]>([])
        let client = try MQTTClient(
            MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "handed-over"),
            onEvents: { batch in seen.withLock { $0 += batch } })
        try client.start()
        try await waitUntil("connected") { seen.withLock { $0.contains(.connected(sessionPresent: false)) } }
        let subscription = try client.subscribe("handed/#")
        try await waitUntil("subscribed") { seen.withLock { $0.contains(.subscribed(messageID: subscription)) } }
        var mids: [MessageID] = []
        for i in 0..<200 { mids.append(try client.publish(topic: "handed/t", payload: Array("\(i)".utf8))) }
        try await waitUntil("all 200 back and acknowledged") {
            seen.withLock { events in
                events.count { if case .message = $0 { true } else { false } } == 200
                    && Set(mids).isSubset(of: events.compactMap { if case .published(let m) = $0 { m } else { nil } })
            }
        }
        let events = seen.withLock { $0 }
        #expect(events.first == .connected(sessionPresent: false))
        let bodies = events.compactMap { if case .message(let m) = $0 { String(decoding: m.payload, as: UTF8.self) } else { nil } }
        #expect(bodies == (0..<200).map(String.init))
        await client.disconnect()
        // The clean disconnect is handed over too, after everything else.
        #expect(seen.withLock { $0.last } == .disconnected(reason: "client disconnected", expected: true))
        // nextEvents() is not fed meanwhile: it only ends, with nothing, once disconnected.
        #expect(await client.nextEvents().isEmpty)
    }
}
