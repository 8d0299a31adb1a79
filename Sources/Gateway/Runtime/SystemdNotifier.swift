import Foundation
import Synchronization

/// sd_notify(3) without libsystemd: datagrams to the socket systemd names in `NOTIFY_SOCKET`,
/// so a `Type=notify` unit knows when the gateway is ready, that it is stopping, and (with
/// `WatchdogSec=`) that its service loop still turns. Outside systemd it does nothing.
final class SystemdNotifier: Sendable {
    private let path: [UInt8]
    private let fd: Int32
    /// Half of `WATCHDOG_USEC`, as sd_watchdog_enabled(3) advises; nil without a watchdog.
    private let watchdogIntervalMs: Int64?
    private let lastPing = Atomic<Int64>(0)

    /// nil when `NOTIFY_SOCKET` is unset or unusable.
    init?(environment: [String: String]) {
        guard let socketPath = environment["NOTIFY_SOCKET"], !socketPath.isEmpty, socketPath.utf8.count < 108 else { return nil }
        var bytes = Array(socketPath.utf8)
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }  // an abstract socket
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        self.fd = fd
        path = bytes
        watchdogIntervalMs = environment["WATCHDOG_USEC"].flatMap(Int64.init).map { max(1, $0 / 2000) }
    }

    deinit { close(fd) }

    /// Sends `state` (`READY=1`, `STOPPING=1`, `STATUS=...`); a failure is ignored, since
    /// nothing optional may stop the gateway.
    func send(_ state: String) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { sunPath in
            for (i, b) in path.enumerated() { sunPath[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let bytes = Array(state.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, length) }
            }
        }
    }

    /// `WATCHDOG=1` at most every half watchdog interval; called after each loop turn.
    func watchdogIfDue(now: Int64) {
        guard let interval = watchdogIntervalMs, now - lastPing.load(ordering: .relaxed) >= interval else { return }
        lastPing.store(now, ordering: .relaxed)
        send("WATCHDOG=1")
    }
}
