import Foundation
import Logging
import Testing
import TestSupport
import Wire
@testable import Gateway

@Suite("Settings reloaded into a running gateway")
struct LiveReloadTests {
    @Test("a valid range widened by a reload applies from that point, and a restart replaying the whole journal regenerates the same publications")
    func widenedRangeReplaysExactly() async throws {
        let rig = try await CleanedStreamRig.start()
        defer { rig.stop() }
        let (broker, dir, watcher, fleet) = (rig.broker, rig.dir, rig.watcher, rig.fleet)
        var gateway = try await InProcessGateway.start(broker, in: dir, id: "reload")
        let ts0: Int64 = 1_795_660_000_000
        func readings(_ seqs: Range<UInt64>, value: Double) throws {
            for seq in seqs { try fleet.measure("r1", seq: seq, ts: ts0 + Int64(seq) * 1000, temperature: value) }
        }
        func waitFor(_ seq: UInt64) async throws {
            try await watcher.recorder.wait(for: "seq \(seq) cleaned", timeout: .seconds(60)) {
                $0.messages.compactMap(CleanedReading.init).contains { $0.seq == seq }
            }
        }
        try readings(0..<5, value: 52)
        try readings(5..<10, value: 57)  // out of 50-55: corrected
        try await waitFor(9)
        var wider = gateway.configuration
        wider.engine.validMax = 60
        let logger = Logger(label: "reload-test")
        let outcome = SettingsReload.apply(wider, live: gateway.live, logLevel: LiveLogLevel(.info), logger: logger)
        #expect(outcome.applied == ["valid-max"])
        // The change is journaled and applied at the next turn: readings from then on are in range.
        let running = gateway.status
        try await waitUntil("the engine to take the new range") { running.snapshot.runtime.settingsApplied == 1 }
        try readings(10..<15, value: 57)
        try await waitFor(14)
        let live = await watcher.cleaned()
        #expect(live.filter { (5..<10).contains($0.seq) }.allSatisfy { $0.quality == .corrected })
        #expect(live.filter { (10..<15).contains($0.seq) }.allSatisfy { $0.quality == .ok }, "\(live.map { "\($0.seq):\($0.quality)" })")
        try await gateway.stop()

        // Restart without the snapshot, with the file's original range: the whole journal is
        // replayed, and the journaled change must switch the range at the same point.
        try FileManager.default.removeItem(atPath: dir.file("data/engine.snapshot"))
        gateway = try await InProcessGateway.start(broker, in: dir, id: "reload")
        let status = gateway.status
        try await waitUntil("restored") { !status.snapshot.restoring }
        #expect(status.snapshot.runtime.restoreCompared > 0)
        #expect(status.snapshot.runtime.restoreMismatches == 0)
        try await gateway.stop()
        await fleet.close()
        await watcher.close()
    }

    @Test("max-sensors lowered below the sensors tracked says what follows (found black-box, 63rd review: only the change was logged)")
    func capBelowTracked() async throws {
        let rig = try await CleanedStreamRig.start()
        defer { rig.stop() }
        let log = CapturedLog()
        let gateway = try await InProcessGateway.start(rig.broker, in: rig.dir, id: "cap", logger: log.logger())
        for s in 0..<3 { try rig.fleet.measure("cap-\(s)", seq: 0, ts: 1_795_660_000_000, temperature: 52) }
        try await waitUntil("three sensors tracked", timeout: .seconds(120)) { gateway.status.snapshot.sensors.count == 3 }
        var engine = gateway.live.current.engine
        engine.maxSensors = 2
        gateway.live.apply(engine: engine, replay: gateway.live.current.replay, logLevel: gateway.live.current.logLevel)
        try await waitUntil("the warning", timeout: .seconds(120)) {
            log.lines.contains { $0.level == .warning && $0.message.hasPrefix("max-sensors is now below the sensors tracked") }
        }
        let warning = log.lines.first { $0.message.hasPrefix("max-sensors is now below") }
        #expect(warning?.metadata["tracked"] == "3" && warning?.metadata["max_sensors"] == "2", "\(String(describing: warning))")
        try await gateway.stop()
    }

    @Test(
        "a refused reload says the running settings stay, and for a faulty TLS file that it is read again at the next connection (found black-box, 57th review)"
    )
    func refusalOfTLSFile() throws {
        let ca = ConfigurationError(setting: "ca-file", value: "/etc/ca.pem", problem: "not a PEM certificate", source: .file("gw.conf", line: 3))
        #expect(SettingsReload.refusal(ca).hasPrefix("SIGHUP: configuration not valid; the running settings stay, but ca-file is a file read again"))
        // Only when the running settings read that file: a plain connection reads none.
        var running = try ConfigurationLoader.load(configFile: nil, environment: [:], flags: [:], defaultGatewayID: "h")
        #expect(SettingsReload.refusal(ca, running: running) == "SIGHUP: configuration not valid; the running settings stay")
        running.caFile = "/etc/ca.pem"
        #expect(SettingsReload.refusal(ca, running: running).contains("the next reconnection fails with the same fault"))
        let range = ConfigurationError(setting: "valid-max", value: "1", problem: "below valid-min", source: .file("gw.conf", line: 4))
        #expect(SettingsReload.refusal(range) == "SIGHUP: configuration not valid; the running settings stay")
    }

    @Test("a reload says again what start-up says of a password file others can read, changed or not (found black-box, 57th review)")
    func reloadWarnsOfFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let password = dir.file("password")
        try "secret\n".write(toFile: password, atomically: true, encoding: .utf8)
        chmod(password, 0o600)
        var running = GatewayConfiguration(gatewayID: "files")
        running.passwordFile = password
        let live = LiveSettings(running)
        let log = CapturedLog()
        SettingsReload.apply(running, live: live, logLevel: LiveLogLevel(.info), logger: log.logger())
        #expect(!log.messages.contains { $0.contains("password-file") }, "\(log.messages)")
        chmod(password, 0o644)
        SettingsReload.apply(running, live: live, logLevel: LiveLogLevel(.info), logger: log.logger())
        let warning = log.lines.first {
            $0.level == .warning && $0.message.hasPrefix("SIGHUP: password-file \(password) can be read or written by users other")
        }
        #expect(warning != nil, "\(log.messages)")
    }

    @Test("a reload that moves the HTTP endpoint says so before the HTTP service hears of the new address")
    func httpMoveLoggedFirst() throws {
        let running = GatewayConfiguration(gatewayID: "order")
        let live = LiveSettings(running)
        let log = CapturedLog()
        let logger = log.logger()
        live.onHTTPChange { address in logger.error("the HTTP service got \(address.map { "\($0)" } ?? "off")") }
        var moved = running
        moved.http = ("127.0.0.1", 9465)
        let outcome = SettingsReload.apply(moved, live: live, logLevel: LiveLogLevel(.info), logger: logger)
        #expect(outcome.rebound)
        let messages = log.messages
        let announced = try #require(messages.firstIndex { $0.hasPrefix("SIGHUP: moving the HTTP endpoint") }, "\(messages)")
        let heard = try #require(messages.firstIndex { $0.hasPrefix("the HTTP service got 127.0.0.1:9465") }, "\(messages)")
        #expect(announced < heard, "\(messages)")
    }

    @Test(
        "a reload changing gateway-id without a client-id says the client id, and so the broker session, change with it at the restart (found black-box, 47th review)"
    )
    func gatewayIDNamesTheClientID() {
        let running = GatewayConfiguration(gatewayID: "atk")
        let live = LiveSettings(running)
        let log = CapturedLog()
        var renamed = running
        renamed.gatewayID = "atkz"
        renamed.engine.gatewayID = "atkz"
        let outcome = SettingsReload.apply(renamed, live: live, logLevel: LiveLogLevel(.info), logger: log.logger())
        #expect(outcome.restartOnly.contains("gateway-id"))
        let said = log.lines.compactMap { $0.metadata["gateway-id"].map { "\($0)" } }.joined()
        #expect(
            said.contains("atk -> atkz (after a restart); the client id becomes sensor-gateway-atkz with it"),
            "\(log.lines.map { "\($0.message) \($0.metadata)" })")
        // The file put back: the waiting change is withdrawn, and said so (found black-box, 57th review).
        SettingsReload.apply(running, live: live, logLevel: LiveLogLevel(.info), logger: log.logger())
        let withdrawn = log.lines.first { $0.message.hasPrefix("SIGHUP: changes an earlier reload said wait for the next start are withdrawn") }
        #expect(withdrawn?.metadata["settings"] == "gateway-id", "\(log.messages)")
        #expect(!log.messages.contains("SIGHUP: configuration re-read; nothing changed"))
    }
}
