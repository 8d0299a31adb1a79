import Foundation
import Logging
import Synchronization
import Testing
import TestSupport
@testable import Gateway

@Suite("The HTTP endpoint with slow and stalled clients")
struct SlowHTTPClientTests {
    @Test("/healthz answers while 100 idle connections, 20 dripping clients and a client that never reads are held open")
    func healthUnderStalledClients() async throws {
        let port = LoopbackNetwork.freePort()
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#"], gatewayFlags: ["--http", "127.0.0.1:\(port)"], answersResends: false)
        defer { scenario.cleanUp() }
        try await waitUntil("the HTTP endpoint", timeout: .seconds(600)) { (try? await HTTPGet.fetch(port: port, path: "/healthz"))?.status == 200 }
        // Enough sensors that the status page is larger than the socket buffers of a client that never reads.
        for i in 0..<300 {
            try scenario.fleet.measure("sensor-\(i)", seq: 0, ts: 1_795_660_000_000, temperature: 52)
        }
        try await scenario.watcher.recorder.wait(for: "300 cleaned") { $0.messages.count >= 300 }

        var held: [Int32] = []
        defer { held.forEach { close($0) } }
        func open() throws -> Int32 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard LoopbackNetwork.connect(fd, port: port) else { close(fd); throw TimedOut("connection to the endpoint") }
            held.append(fd)
            return fd
        }
        for _ in 0..<100 { _ = try open() }  // connect and say nothing (port scanners, TCP checks)
        var drippers: [Int32] = []
        for _ in 0..<20 {  // a request that never ends, a byte at a time
            let fd = try open()
            _ = send(fd, "GET /", 5, Int32(MSG_NOSIGNAL))
            drippers.append(fd)
        }
        let reader = try open()  // asks for the page and never reads it
        var small: Int32 = 1024
        setsockopt(reader, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        for _ in 0..<20 { _ = send(reader, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, Int32(MSG_NOSIGNAL)) }

        for round in 0..<5 {
            for fd in drippers { _ = send(fd, "a", 1, Int32(MSG_NOSIGNAL)) }
            // The old one-connection-at-a-time server needed 5 s per held connection here.
            let health = try await HTTPGet.fetch(port: port, path: "/healthz", timeoutSeconds: 600)
            #expect(health.status == 200, "round \(round)")
            #expect(try await HTTPGet.fetch(port: port, path: "/metrics", timeoutSeconds: 600).body.contains("sensor_gateway_broker_connected 1.0"))
        }
        #expect(try await scenario.gateway.terminate() == 0)
        await scenario.fleet.close()
        await scenario.watcher.close()
    }

    @Test("SIGTERM ends the gateway with its drain though a client never reads the status page it asked for")
    func exitDespiteClientThatNeverReads() async throws {
        let port = LoopbackNetwork.freePort()
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#"], gatewayFlags: ["--http", "127.0.0.1:\(port)"], answersResends: false)
        defer { scenario.cleanUp() }
        try await waitUntil("the HTTP endpoint", timeout: .seconds(600)) { (try? await HTTPGet.fetch(port: port, path: "/healthz"))?.status == 200 }
        // 2,000 sensors: a status page of about 120 KB.
        for i in 0..<2000 {
            try scenario.fleet.measure("sensor-\(i)", seq: 0, ts: 1_795_660_000_000, temperature: 52)
        }
        try await scenario.watcher.recorder.wait(for: "2,000 cleaned") { $0.messages.count >= 2000 }

        let reader = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(reader) }
        var small: Int32 = 1024
        setsockopt(reader, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        #expect(LoopbackNetwork.connect(reader, port: port))
        // A hundred requests at once (HTTP/1.1 pipelining): 12 MB of pages to write, more than
        // the kernel takes off the server's hands (its send buffer grows to 4 MB), of which the
        // answer to the first has begun (its first bytes are here); the rest stays unread, so the
        // server is stuck writing them for as long as this client lives.
        for _ in 0..<100 { _ = send(reader, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, Int32(MSG_NOSIGNAL)) }
        let first = await onOwnThread { () -> [UInt8] in
            var bytes = [UInt8](repeating: 0, count: 16)
            let got = recv(reader, &bytes, bytes.count, Int32(MSG_WAITALL))
            return Array(bytes.prefix(max(0, got)))
        }
        #expect(first.count == 16 && String(decoding: first.prefix(8), as: UTF8.self) == "HTTP/1.1")

        // Without the shutdown's close of connections left open, the exit waited for this client.
        #expect(try await scenario.gateway.terminate(timeout: .seconds(120)) == 0)
        await scenario.fleet.close()
        await scenario.watcher.close()
    }

    @Test("more dripping clients than connection slots: each is closed when its request head is late, and /healthz answers")
    func moreDrippersThanSlots() async throws {
        let port = LoopbackNetwork.freePort()
        var limits = HTTPEndpoint.Limits()
        limits.maxConnections = 4
        limits.requestHeadDeadline = .seconds(1)
        // The idle timeout sits after the HTTP decoder, so it closes a dripping client too, but
        // only after 10 s: out of the way here, so only the head deadline frees the slots.
        limits.idleTimeout = .seconds(600)
        let endpoint = HTTPEndpoint(
            host: "127.0.0.1", port: port, limits: limits, logger: Logger(label: "drip-test"),
            handler: GatewayHTTP.handler(status: StatusBoard(), configuration: GatewayConfiguration(gatewayID: "drip")))
        let server = Task { try await endpoint.run() }
        defer { server.cancel() }
        try await waitUntil("the HTTP endpoint", timeout: .seconds(600)) { (try? await HTTPGet.fetch(port: port, path: "/healthz")) != nil }
        // Three times the slots, each dripping a request that never ends, a byte every 200 ms:
        // without the deadline they hold every slot, and the probe waits in the listen backlog.
        // On a thread of its own: blocking socket calls on the cooperative pool stall the
        // endpoint under test, whose connections are served there too.
        let stop = Atomic<Bool>(false)
        let dripping = Task {
            await onOwnThread {
                var fds: [Int32] = []
                defer { fds.forEach { close($0) } }
                for _ in 0..<12 {
                    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                    if LoopbackNetwork.connect(fd, port: port) { fds.append(fd) } else { close(fd) }
                }
                for fd in fds { _ = send(fd, "GET /", 5, Int32(MSG_NOSIGNAL)) }
                while !stop.load(ordering: .relaxed) {
                    for fd in fds { _ = send(fd, "a", 1, Int32(MSG_NOSIGNAL)) }
                    usleep(200_000)
                }
            }
        }
        for round in 0..<3 {
            let health = try await HTTPGet.fetch(port: port, path: "/healthz", timeoutSeconds: 600)
            // No gateway behind this board: "not connected", 503; answered is what counts.
            #expect([200, 503].contains(health.status), "round \(round)")
        }
        #expect(endpoint.bindState.isListening)
        stop.store(true, ordering: .relaxed)
        await dripping.value
    }

    @Test("300 stalled clients (more than the 256 connections the endpoint once admitted) leave room for /healthz")
    func moreStalledClientsThanTheOldLimit() async throws {
        let openFiles = FileDescriptorLimit.raiseSoftToHard()  // as `run` does
        let port = LoopbackNetwork.freePort()
        var limits = HTTPEndpoint.Limits()
        // Neither timeout frees a slot during the test: only the connection limit decides (with
        // the old limit of 256, /healthz would wait for a slot until its own timeout).
        limits.requestHeadDeadline = .seconds(600)
        limits.idleTimeout = .seconds(600)
        let endpoint = HTTPEndpoint(
            host: "127.0.0.1", port: port, limits: limits, logger: Logger(label: "stalled-test"),
            handler: GatewayHTTP.handler(status: StatusBoard(), configuration: GatewayConfiguration(gatewayID: "stalled")))
        let server = Task { try await endpoint.run() }
        defer { server.cancel() }
        try await waitUntil("the HTTP endpoint", timeout: .seconds(600)) { (try? await HTTPGet.fetch(port: port, path: "/healthz")) != nil }
        // The endpoint's 300 accepted sockets come out of this process's descriptors, which the
        // suite's parallel tests share (found in CI: with the clients' 300 here as well, both a
        // client's socket and the probe's failed). Wait until other tests leave room.
        try await waitUntil("room for 300 more open files (limit \(openFiles))", timeout: .seconds(600)) {
            let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
            return UInt64(open + 400) <= openFiles
        }
        // The clients in a process of their own: their descriptors are not this process's.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let report = directory.file("held")
        let clients = try ChildProcess(
            "/usr/bin/env", ["python3", Self.stalledClients, "--port", "\(port)", "--count", "300", "--out", report],
            logPath: directory.file("clients.log"))
        defer {
            clients.signal(SIGKILL)
            clients.waitBlocking()
        }
        try await waitUntil("the clients' report", timeout: .seconds(600)) { FileManager.default.fileExists(atPath: report) || !clients.isRunning }
        let held =
            (try? String(contentsOfFile: report, encoding: .utf8)) ?? "no report: "
            + ((try? String(contentsOfFile: directory.file("clients.log"), encoding: .utf8)) ?? "")
        #expect(held == "held 300\n")
        let health = try await HTTPGet.fetch(port: port, path: "/healthz", timeoutSeconds: 600)
        #expect([200, 503].contains(health.status))
    }

    static let stalledClients = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Peers/stalled_clients.py").path
}
