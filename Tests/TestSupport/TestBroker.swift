import Foundation
import Synchronization

/// A private mosquitto process on a free loopback port, with its own config and persistence
/// folder. Each test starts its own; `stop()` ends it; `restart()` brings it back on the same
/// port with its persisted sessions, for reconnect tests.
public final class TestBroker: Sendable {
    public let port: Int32
    public let directory: TemporaryDirectory
    private let process = Mutex<ChildProcess?>(nil)

    public var url: String { "mqtt://127.0.0.1:\(port)" }

    /// Starts a broker. `extraConfig` lines are appended to the generated config
    /// (e.g. `allow_anonymous false` and a `password_file`).
    public static func start(extraConfig: [String] = [], anonymous: Bool = true) async throws -> TestBroker {
        var lastError: Error?
        for _ in 0..<5 {
            let broker = try TestBroker(port: LoopbackNetwork.freePort(), extraConfig: extraConfig, anonymous: anonymous)
            do {
                try await broker.launch()
                return broker
            } catch {
                lastError = error
                broker.stop()
                broker.directory.remove()
            }
        }
        throw lastError ?? TimedOut("mosquitto to start")
    }

    private init(port: Int32, extraConfig: [String], anonymous: Bool) throws {
        self.port = port
        directory = try TemporaryDirectory(prefix: "mosquitto")
        let config =
            [
                "listener \(port) 127.0.0.1",
                "allow_anonymous \(anonymous)",
                "persistence true",
                "persistence_location \(directory.path)/",
                "autosave_interval 1",
                "max_queued_messages 1000000",
                "max_inflight_messages 1000",
                "log_dest file \(directory.path)/mosquitto.log",
                "log_type error",
                "log_type warning",
                "log_type notice",
            ] + (geteuid() == 0 ? ["user root"] : []) + extraConfig
        try (config.joined(separator: "\n") + "\n").write(toFile: directory.file("mosquitto.conf"), atomically: true, encoding: .utf8)
    }

    /// The mosquitto binary: Debian installs it in /usr/sbin, often not on a user's PATH.
    public static func executable(_ name: String) -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"] + path.split(separator: ":").map(String.init)
        for dir in candidates where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        return name
    }

    private func launch() async throws {
        let p = try ChildProcess(
            TestBroker.executable("mosquitto"), ["-c", directory.file("mosquitto.conf")],
            logPath: directory.file("stdout.log"))
        process.withLock { $0 = p }
        let port = self.port
        try await waitUntil("mosquitto on port \(port)", timeout: .seconds(20)) {
            if !p.isRunning { throw TimedOut("mosquitto exited at start (port \(port) taken?)") }
            return LoopbackNetwork.accepts(port: port) && p.isRunning
        }
    }

    /// Starts mosquitto again on this broker's port. While it was stopped, any outgoing
    /// connection in the test process may have been given that port as its ephemeral source
    /// port, and mosquitto cannot bind it until that connection closes: it exits, and is tried
    /// again (a restart must keep its port, so it cannot move to another).
    private func relaunch() async throws {
        var lastError: Error?
        for attempt in 0..<10 {
            do {
                try await launch()
                return
            } catch {
                lastError = error
                stop()
                try await Task.sleep(for: .milliseconds(200 * (attempt + 1)))
            }
        }
        throw lastError ?? TimedOut("mosquitto to start again on port \(port)")
    }

    /// Stops the broker (SIGTERM, so it saves its persistence file) and waits for it to exit.
    public func stop() {
        let p = process.withLock { p in
            defer { p = nil }
            return p
        }
        guard let p, p.isRunning else { return }
        p.signal(SIGCONT)
        p.signal(SIGTERM)
        // A blocking wait is fine here: mosquitto exits within milliseconds of SIGTERM.
        p.waitBlocking()
    }

    /// A mosquitto password file in `dir` for `users`, each with the password `pw-<user>`
    /// (`mosquitto_passwd`), for a broker started with `password_file` and `anonymous: false`.
    public static func passwordFile(users: [String], in dir: TemporaryDirectory) async throws -> String {
        let passwords = dir.file("passwd")
        for (i, user) in users.enumerated() {
            let tool = try ChildProcess(
                executable("mosquitto_passwd"), (i == 0 ? ["-c"] : []) + ["-b", passwords, user, "pw-\(user)"], logPath: dir.file("passwd-\(i).log"))
            try await tool.wait()
            guard tool.exitCode == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "mosquitto_passwd failed: \(tool.output)"])
            }
        }
        return passwords
    }

    /// Freezes the broker (SIGSTOP): its connections stay open but nothing is read, sent or
    /// acknowledged until `resume()`; for tests that need the broker's acknowledgements to stop.
    public func pause() {
        process.withLock { $0?.signal(SIGSTOP) }
    }

    /// Makes the broker re-read its configuration's reloadable parts (SIGHUP): the ACL and
    /// password files.
    public func reload() {
        process.withLock { $0?.signal(SIGHUP) }
    }

    /// Lets a paused broker run again (SIGCONT).
    public func resume() {
        process.withLock { $0?.signal(SIGCONT) }
    }

    /// Stops and starts the broker on the same port with the same persistence folder.
    public func restart() async throws {
        stop()
        try await relaunch()
    }

    /// Stops the broker, deletes its persistence file (every client's session and queue), and
    /// starts it again on the same port: a broker whose persistence was lost.
    public func restartForgettingSessions() async throws {
        stop()
        try? FileManager.default.removeItem(atPath: directory.file("mosquitto.db"))
        try await relaunch()
    }

    /// Stops the broker and deletes its folder.
    public func shutdown() {
        stop()
        directory.remove()
    }
}
