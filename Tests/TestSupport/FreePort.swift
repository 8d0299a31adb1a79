import Foundation
import Synchronization

/// Network helpers for tests that run their own servers on loopback.
public enum LoopbackNetwork {
    /// A TCP port that was free on 127.0.0.1 a moment ago (the kernel picks it).
    public static func freePort() -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = loopback(port: 0)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int32(UInt16(bigEndian: addr.sin_port))
    }

    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    ///
    /// A probe whose own ephemeral port happens to be `port` connects to itself (TCP's
    /// simultaneous open) while nothing listens, and its socket then holds the port, so a
    /// server starting at that moment cannot bind it; such a probe counts as "no".
    public static func accepts(port: Int32) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = loopback(port: port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { return false }
        var local = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int32(UInt16(bigEndian: local.sin_port)) != port
    }

    public static func loopback(port: Int32) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }
}

/// A "broker" that accepts TCP connections and never answers: a loopback socket that listens
/// and never reads, so the kernel completes each handshake and the client's MQTT CONNECT waits
/// for a CONNACK that never comes (a hung broker, or a firewall that accepts and drops).
public final class SilentListener: Sendable {
    private let fd: Int32
    public let port: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = LoopbackNetwork.loopback(port: 0)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // A deep backlog: every connection attempt of a test's length completes its handshake.
        guard fd >= 0, bound == 0, listen(fd, 512) == 0 else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EIO
            close(fd)
            throw POSIXError(code)
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        port = Int32(UInt16(bigEndian: addr.sin_port))
    }

    public var url: String { "mqtt://127.0.0.1:\(port)" }

    /// Runs `action` on a thread of its own as soon as the next connection arrives, and keeps
    /// that connection open (unanswered) until the listener goes. An event for a test to act on
    /// within milliseconds: a test's own polling runs on the cooperative threads, which busy
    /// parallel tests can hold for seconds (found in CI: a 5 s start-up wait missed 5 times).
    public func onNextConnection(_ action: @escaping @Sendable () -> Void) {
        // The thread holds the listener until a connection comes.
        Thread.detachNewThread { [self] in
            let connection = accept(fd, nil, nil)
            if connection >= 0 { accepted.withLock { $0.append(connection) } }
            action()
        }
    }

    private let accepted = Mutex<[Int32]>([])

    deinit {
        accepted.withLock { $0.forEach { close($0) } }
        close(fd)
    }
}
