import Foundation
import MQTT
import Testing
import TestSupport

/// The broker ACL shipped in deploy/ does what OPERATIONS.md says: the gateway works under it,
/// whatever its id (the file names none), a sensor can only publish its own readings, and only the
/// consumer user may ask for replays. The shipped mosquitto.conf's limits refuse oversized messages.
@Suite("The shipped mosquitto ACL and broker limits")
struct DeployedACLTests {
    static let deployFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("deploy").path

    /// The settings of deploy/mosquitto.conf that the test broker does not set itself (its
    /// listener, persistence and queue settings are the test's; the password and ACL files are
    /// given per test).
    static func shippedBrokerSettings(
        ownedByTest: Set<String> = [
            "listener", "allow_anonymous", "password_file", "acl_file", "persistence", "autosave_interval", "max_queued_messages",
            "max_inflight_messages",
        ]
    ) throws -> [String] {
        try String(contentsOfFile: "\(deployFolder)/mosquitto.conf", encoding: .utf8).split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("#") && !$0.isEmpty }
            .filter { !ownedByTest.contains(String($0.prefix { $0 != " " })) }
    }

    /// Logs a client in as `user` of `passwordFile`.
    static func login(_ user: String) -> (inout MQTTConfiguration) -> Void {
        {
            $0.username = user; $0.password = "pw-\(user)"
        }
    }

    @Test(
        "under deploy/mosquitto.acl the gateway runs with any id, a sensor cannot speak for another or ask for replays, the historian can, a Sparkplug host reads the gateway's edge node and STATE"
    )
    func shippedACL() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let passwords = try await TestBroker.passwordFile(users: ["sensor-gateway", "historian", "s1", "scada"], in: dir)
        try "pw-sensor-gateway\n".write(toFile: dir.file("gateway-password"), atomically: true, encoding: .utf8)
        let broker = try await TestBroker.start(
            extraConfig: ["password_file \(passwords)", "acl_file \(Self.deployFolder)/mosquitto.acl"] + Self.shippedBrokerSettings(),
            anonymous: false)
        defer { broker.shutdown() }
        let login = Self.login
        // The broker publishes its $SYS count at start and keeps it retained for about a minute
        // (it publishes it again only when it changes): subscribed now, it is delivered.
        let dropCount = try await Subscriber.connect(
            broker, id: "sensor-gateway-sys", filters: ["$SYS/broker/publish/messages/dropped"], configure: login("sensor-gateway"))
        // The gateway's user may read it: checked here, next to the subscription (it timed out at
        // the test's end once, in a CI run with over a hundred tests at once).
        try await dropCount.recorder.wait(for: "the broker's dropped count", timeout: .seconds(60)) { events in
            events.messages.contains { $0.topic == "$SYS/broker/publish/messages/dropped" }
        }
        await dropCount.close()
        // Not the id of any example in deploy/: the ACL must not name one.
        let gatewayID = "press-hall-2"
        let historian = try await Subscriber.connect(broker, id: "historian", filters: ["cleaned/#", "latest/#", "replay/#"], configure: login("historian"))
        let gateway = try GatewayProcess.start(
            broker: broker, dataDirectory: dir.file("data"), gatewayID: gatewayID,
            extra: [
                "--username", "sensor-gateway", "--password-file", dir.file("gateway-password"), "--sparkplug-topic-filter", "spBv1.0/Plant1/#",
                "--sparkplug-edge-node", "Cleaned/\(gatewayID)", "--sparkplug-host-id", "scada-gw", "--late-horizon-s", "2",
                "--sensor-retention-s", "3",
            ])
        defer { gateway.child.signal(SIGKILL) }
        try await gateway.waitUntilConnected()
        let sensor = try await Subscriber.connect(broker, id: "s1", filters: ["sensors/s1/resend"], configure: login("s1"))
        let scada = try await Subscriber.connect(broker, id: "scada", filters: ["spBv1.0/Cleaned/#", "spBv1.0/STATE/#"], configure: login("scada"))

        func reading(_ seq: Int) -> [UInt8] {
            Array("{\"seq\":\(seq),\"ts\":\(1_795_660_000_000 + seq * 1000),\"temperature\":52,\"status\":\"normal\"}".utf8)
        }
        func publishAcknowledged(_ client: Subscriber, _ topic: String, _ payload: [UInt8]) async throws {
            let mid = try client.client.publish(topic: topic, payload: payload, qos: .atLeastOnce)
            try await client.recorder.wait(for: "PUBACK for \(topic)") { $0.contains(.published(messageID: mid)) }
        }
        // s1 speaking for s2, and asking for a replay: the broker acknowledges and drops both.
        try await publishAcknowledged(sensor, "sensors/s2/temperature", reading(0))
        let request = { (id: String) in
            Array("{\"request_id\":\"\(id)\",\"sensor_id\":\"*\",\"from\":1795660000000,\"to\":1795660600000}".utf8)
        }
        try await publishAcknowledged(sensor, "gateway/\(gatewayID)/replay", request("from-sensor"))
        // s1's own readings flow.
        for seq in 0..<3 { try await publishAcknowledged(sensor, "sensors/s1/temperature", reading(seq)) }
        try await historian.recorder.wait(for: "s1's readings cleaned") { events in
            events.messages.filter { $0.topic == "cleaned/s1/temperature" }.count >= 3
        }
        // The gateway may write the retained last value, and the historian may read it.
        try await historian.recorder.wait(for: "s1's last value on latest/") { events in
            events.messages.contains { $0.topic == "latest/s1/temperature" && String(decoding: $0.payload, as: UTF8.self).contains("\"seq\":2,") }
        }
        // The historian may ask for a replay; the sensor's request, sent earlier, never ran.
        try await publishAcknowledged(historian, "gateway/\(gatewayID)/replay", request("from-historian"))
        try await historian.recorder.wait(for: "the historian's replay") { events in
            events.messages.contains {
                $0.topic == "replay/from-historian" && String(decoding: $0.payload, as: UTF8.self).contains("\"done\":true,\"count\":3")
            }
        }
        // The edge node's connection (its will an NDEATH) and the host STATE (its will) are allowed.
        try await scada.recorder.wait(for: "the gateway's edge node: s1's birth; its STATE online") { events in
            events.messages.contains { $0.topic == "spBv1.0/Cleaned/DBIRTH/\(gatewayID)/s1" }
                && events.messages.contains { $0.topic == "spBv1.0/STATE/scada-gw" && String(decoding: $0.payload, as: UTF8.self).contains("\"online\":true") }
        }
        #expect(await historian.messages(on: "replay/from-sensor").isEmpty)
        #expect(await historian.messages(on: "cleaned/s2").isEmpty)
        // A sensor forgotten (silent past sensor-retention-s): its device's DDEATH is allowed too.
        try await scada.recorder.wait(for: "s1's DDEATH", timeout: .seconds(60)) { events in
            events.messages.contains { $0.topic == "spBv1.0/Cleaned/DDEATH/\(gatewayID)/s1" }
        }
        #expect(try await gateway.terminate() == 0)
        await sensor.close()
        await historian.close()
        await scada.close()
    }

    /// The topic lines deploy/mosquitto.acl grants to `user` (its `user` block), or nil if it has none.
    static func grants(to user: String) throws -> [String]? {
        var blocks: [String: [String]] = [:]
        var current: String?
        for line in try String(contentsOfFile: "\(deployFolder)/mosquitto.acl", encoding: .utf8).split(separator: "\n") {
            if line.hasPrefix("user ") {
                let name = String(line.dropFirst(5))
                blocks[name] = []
                current = name
            } else if line.hasPrefix("pattern ") {
                current = nil
            } else if let name = current, line.hasPrefix("topic ") {
                blocks[name, default: []].append(String(line))
            }
        }
        return blocks[user]
    }

    /// The value of the first line of `path` that starts with `prefix` (after its indentation), up
    /// to its comment, without quotes.
    static func suggested(_ prefix: String, in path: String) throws -> String? {
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let text = line.drop { $0 == " " }
            guard text.hasPrefix(prefix) else { continue }
            return String(text.dropFirst(prefix.count).prefix { $0 != "#" }).trimmingCharacters(in: .whitespaces)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    @Test("the user names deploy/gateway.conf and the Telegraf recipe suggest are the ones deploy/mosquitto.acl grants")
    func suggestedUsersAreGranted() throws {
        let gatewayUser = try #require(try Self.suggested("# username:", in: "\(Self.deployFolder)/gateway.conf"))
        let gatewayGrants = try #require(try Self.grants(to: gatewayUser), "deploy/mosquitto.acl has no user \(gatewayUser)")
        #expect(gatewayGrants.contains("topic read sensors/+/+") && gatewayGrants.contains("topic write cleaned/#"))
        let consumers = URL(fileURLWithPath: Self.deployFolder).deletingLastPathComponent().appendingPathComponent("docs/CONSUMERS.md").path
        let consumerUser = try #require(try Self.suggested("# username =", in: consumers))
        let consumerGrants = try #require(try Self.grants(to: consumerUser), "deploy/mosquitto.acl has no user \(consumerUser)")
        #expect(consumerGrants.contains("topic read cleaned/#"))
    }

    @Test("deploy/mosquitto.conf: over max-payload-bytes dead-lettered, over message_size_limit refused, over max_packet_size sender cut off")
    func shippedSizeLimits() async throws {
        let settings = try Self.shippedBrokerSettings()
        for key in ["persistent_client_expiration", "message_size_limit", "max_packet_size"] {
            #expect(settings.contains { $0.hasPrefix(key + " ") }, "deploy/mosquitto.conf sets no \(key)")
        }
        let broker = try await TestBroker.start(extraConfig: settings)
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["sensors/#", "dlq/#"])
        let gateway = try GatewayProcess.start(broker: broker, dataDirectory: dir.file("data"))
        defer { gateway.child.signal(SIGKILL) }
        try await gateway.waitUntilConnected()
        let sender = try await Subscriber.connect(broker, id: "sender", filters: [])
        func publishAcknowledged(_ topic: String, bytes: Int) async throws {
            let mid = try sender.client.publish(topic: topic, payload: [UInt8](repeating: UInt8(ascii: "x"), count: bytes), qos: .atLeastOnce)
            try await sender.recorder.wait(for: "PUBACK for \(topic)") { $0.contains(.published(messageID: mid)) }
        }
        // Over the gateway's max-payload-bytes (4096): it arrives, and the gateway reports it.
        try await publishAcknowledged("sensors/big/temperature", bytes: 10_000)
        try await watcher.recorder.wait(for: "the 10 KB payload dead-lettered") { events in
            events.messages.contains { $0.topic == "dlq/big/temperature" && String(decoding: $0.payload, as: UTF8.self).contains("payload_too_large") }
        }
        // Over message_size_limit: acknowledged (the sender's queue moves on) and delivered to no one;
        // the next message from the same sender is.
        try await publishAcknowledged("sensors/huge/temperature", bytes: 70_000)
        try await publishAcknowledged("sensors/after/temperature", bytes: 10)
        try await watcher.recorder.wait(for: "the message after the refused one") { $0.messages.contains { $0.topic == "sensors/after/temperature" } }
        #expect(await watcher.messages(on: "sensors/huge/").isEmpty)
        #expect(await watcher.messages(on: "dlq/huge/").isEmpty)
        // Over max_packet_size: the broker drops the connection instead of reading it into memory.
        _ = try sender.client.publish(topic: "sensors/poison/temperature", payload: [UInt8](repeating: 0x78, count: 2 << 20), qos: .atLeastOnce)
        try await sender.recorder.wait(for: "the 2 MiB sender disconnected") { events in
            events.contains { if case .disconnected = $0 { true } else { false } }
        }
        #expect(await watcher.messages(on: "sensors/poison/").isEmpty)
        #expect(try await gateway.terminate() == 0)
        await sender.close()
        await watcher.close()
    }
}
