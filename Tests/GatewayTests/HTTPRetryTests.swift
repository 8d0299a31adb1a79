import Foundation
import Testing
import TestSupport

/// A taken HTTP address is retried with backoff while the gateway goes on cleaning readings
/// (CONTRACT.md section 11; issue 28: it used to exit 78, which the unit never retries).
@Suite("A taken HTTP address is retried")
struct HTTPRetryTests {
    /// A plain socket listening on 127.0.0.1:`port`, as another program holding the port would.
    static func occupy(port: Int32) throws -> Int32 {
        // Close-on-exec: the gateway started after it must not inherit (and so keep) the port.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = LoopbackNetwork.loopback(port: port)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 8) == 0 else {
            close(fd)
            throw TimedOut("cannot occupy port \(port): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    @Test("with its port held by another socket the gateway cleans readings and retries; once freed, /healthz answers")
    func takenPortIsRetried() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let port = LoopbackNetwork.freePort()
        var holder: Int32? = try Self.occupy(port: port)
        defer { if let holder { close(holder) } }

        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["cleaned/#"])
        let gateway = try GatewayProcess.start(
            broker: broker, dataDirectory: dir.file("data"), extra: ["--http", "127.0.0.1:\(port)"])
        defer { if gateway.child.isRunning { gateway.child.signal(SIGKILL) } }  // a failed wait must not leave it running
        try await waitUntil("the taken address logged", timeout: .seconds(60)) {
            gateway.child.output.contains("http address not available; retrying with backoff")
        }
        #expect(gateway.child.isRunning, "a taken port is not fatal: \(gateway.child.output.suffix(2000))")
        try await waitUntil("the gateway subscribed", timeout: .seconds(60)) { gateway.child.output.contains("subscribed to the readings") }

        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        for seq in UInt64(0)..<3 {
            try fleet.measure("held-1", seq: seq, ts: 1_795_660_000_000 + Int64(seq) * 1000, temperature: 52)
        }
        try await watcher.recorder.wait(for: "readings cleaned while the port is taken") { events in
            events.filter { if case .message = $0 { true } else { false } }.count >= 3
        }
        let probe = try? HTTPGet.get(port: port, path: "/healthz", timeoutSeconds: 2)
        #expect(probe?.status != 200, "nothing of the gateway's answers while the port is held")
        // Each attempt is logged with its wait, which doubles.
        let attempts = gateway.child.output.split(separator: "\n").filter { $0.contains("http address not available") }
        #expect(attempts.first?.contains("retry_in_s=1") == true, "\(attempts)")
        #expect(attempts.first?.contains("Address already in use") == true, "\(attempts)")
        if attempts.count >= 2 { #expect(attempts[1].contains("retry_in_s=2"), "\(attempts)") }

        close(holder!)
        holder = nil
        // The gateway's own word that it listens, first: in the backoff's wait another process
        // (a parallel test) may take the freed port, and its /healthz must not pass for this one.
        try await waitUntil("the gateway listening once the port is free", timeout: .seconds(120)) {
            gateway.child.output.contains("http listening")
        }
        var last: HTTPGet.Response?
        do {
            try await waitUntil("/healthz to answer", timeout: .seconds(60)) {
                last = try? await HTTPGet.fetch(port: port, path: "/healthz", timeoutSeconds: 2)
                return last?.status == 200
            }
        } catch {
            Issue.record("\(error); last answer \(String(describing: last)); gateway: \(gateway.child.output.suffix(3000))")
        }
        // Once, in the gateway's own form: not again as Hummingbird's info line (90th review).
        #expect(!gateway.child.output.contains("Server started and listening"), "\(gateway.child.output.suffix(2000))")
        #expect(try await gateway.terminate() == 0, "\(gateway.child.output.suffix(2000))")
        await fleet.close()
        await watcher.close()
    }

    @Test("an address that can never work (no such host) is a configuration error, exit 78, from run and from config check alike")
    func unresolvableIsFatal() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (code, output) = try await GatewayProcess.runTool(
            ["run", "--http", "no-such-host.invalid:9464", "--data-dir", dir.file("d"), "--broker", "mqtt://127.0.0.1:1"],
            logPath: dir.file("gw.log"))
        #expect(code == 78, "\(output)")
        #expect(output.contains("--http=no-such-host.invalid:9464: cannot resolve"), "\(output)")
        // Set in a file, `config check` refuses it naming the file and line, as any bad value (it
        // said ok, found black-box; then it named the address alone, 47th review).
        try "data-dir: \(dir.file("d"))\nhttp: no-such-host.invalid:9464\n".write(toFile: dir.file("gateway.conf"), atomically: true, encoding: .utf8)
        let (checked, checkOutput) = try await GatewayProcess.runTool(
            ["config", "check", "--config", dir.file("gateway.conf")], logPath: dir.file("check.log"))
        #expect(checked == 78, "\(checkOutput)")
        #expect(checkOutput.contains("http (in \(dir.file("gateway.conf")), line 2)=no-such-host.invalid:9464: cannot resolve"), "\(checkOutput)")
    }
}
