import Foundation
import Synchronization

/// A child process started with `posix_spawn`, with an empty signal mask and default signal
/// dispositions. (Foundation's `Process` passes on the test runner's mask, in which SIGTERM is
/// blocked, so a child started that way ignores a polite stop.) Output goes to a log file.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    public let logPath: String
    private let status = Mutex<Int32?>(nil)

    public init(_ executable: String, _ arguments: [String], logPath: String, environment: [String: String] = [:]) throws {
        self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "spawn \(executable): \(String(cString: strerror(rc)))"])
        }
        pid = child
    }

    /// Sends a signal (SIGTERM, SIGKILL, ...). Harmless once the process has exited.
    public func signal(_ sig: Int32) {
        if exitStatus == nil { kill(pid, sig) }
    }

    /// The raw wait status once the process has exited and been reaped, else nil.
    public var exitStatus: Int32? {
        status.withLock { s in
            if s == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid { s = raw }
            }
            return s
        }
    }

    public var isRunning: Bool { exitStatus == nil }

    /// Blocks the calling thread until the process exits (for short waits in cleanup code).
    public func waitBlocking() {
        status.withLock { s in
            guard s == nil else { return }
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
            s = raw
        }
    }

    /// The exit code when it exited normally; nil while running or when a signal ended it.
    public var exitCode: Int32? {
        guard let raw = exitStatus, raw & 0x7f == 0 else { return nil }
        return (raw >> 8) & 0xff
    }

    /// The signal that ended it, if one did.
    public var terminatingSignal: Int32? {
        guard let raw = exitStatus, raw & 0x7f != 0, raw & 0x7f != 0x7f else { return nil }
        return raw & 0x7f
    }

    /// Waits for the process to exit; sends SIGKILL if it outlives `timeout`.
    @discardableResult
    public func wait(timeout: Duration = .seconds(30)) async throws -> Int32 {
        do {
            try await waitUntil("pid \(pid) to exit", timeout: timeout) { !isRunning }
        } catch {
            signal(SIGKILL)
            try await waitUntil("pid \(pid) to die", timeout: .seconds(10)) { !isRunning }
            throw error
        }
        return exitStatus ?? -1
    }

    /// Everything the process wrote to stdout and stderr so far. (Read with POSIX calls:
    /// Foundation's file reading leaks its buffer under LeakSanitizer when the file grows.)
    public var output: String {
        let fd = open(logPath, O_RDONLY)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
