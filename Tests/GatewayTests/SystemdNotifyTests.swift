import Foundation
import Synchronization
import Testing
import TestSupport

/// The gateway speaks sd_notify(3) to a `Type=notify` unit: a test plays systemd's socket.
@Suite("Readiness and watchdog for systemd")
struct SystemdNotifyTests {
    /// A Unix datagram socket standing in for systemd's notify socket.
    final class NotifySocket: Sendable {
        let fd: Int32
        let path: String
        let received = Mutex<[String]>([])

        init(path: String) throws {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            withUnsafeMutableBytes(of: &address.sun_path) { p in for (i, b) in bytes.enumerated() { p[i] = b } }
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard rc == 0 else { throw TimedOut("binding \(path)") }
            var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        /// Reads what has arrived (each read waits at most 0.1 s).
        func poll() -> [String] {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                received.withLock { $0.append(text) }
            }
            return received.withLock { $0 }
        }

        deinit { close(fd) }
    }

    @Test("READY=1 once restored and running, WATCHDOG=1 while the loop turns, STOPPING=1 on SIGTERM")
    func notifications() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let notify = try NotifySocket(path: dir.file("notify"))
        let gateway = try ChildProcess(
            BuiltProducts.executable("sensor-gateway"),
            ["run", "--broker", broker.url, "--data-dir", dir.file("data"), "--gateway-id", "sd", "--http", "off"],
            logPath: dir.file("gateway.log"),
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        defer { gateway.signal(SIGKILL) }
        try await waitUntil("READY=1") { notify.poll().contains { $0.hasPrefix("READY=1") } }
        try await waitUntil("two watchdog pings") { notify.poll().count { $0 == "WATCHDOG=1" } >= 2 }
        gateway.signal(SIGTERM)
        #expect(try await gateway.wait() == 0)
        #expect(notify.poll().contains("STOPPING=1"))
    }
}
