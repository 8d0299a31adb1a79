#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How the journal's file layer makes system calls: retried while interrupted by a signal
/// (EINTR), and on failure with `errno` read straight after the call, before anything (a lock,
/// an allocation, building a message) can change it: the hazard swift-nio's `syscall` wrapper
/// exists to avoid.
enum SystemCall {
    /// Runs `call` until it stops failing with EINTR. Returns its result, or throws the
    /// `FileSystemError` for `operation` on `path` (only then is `path` evaluated).
    static func run<T: BinaryInteger>(_ operation: String, _ path: @autoclosure () -> String, _ call: () -> T) throws -> T {
        while true {
            let result = call()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw error(operation, path(), code)
        }
    }

    /// For calls that return an error number instead of setting `errno` (`posix_fallocate`).
    static func runReturningError(_ operation: String, _ path: @autoclosure () -> String, _ call: () -> Int32) throws {
        while true {
            let code = call()
            if code == 0 { return }
            if code == EINTR { continue }
            throw error(operation, path(), code)
        }
    }

    static func error(_ operation: String, _ path: String, _ code: Int32) -> FileSystemError {
        FileSystemError(operation: operation, path: path, code: code, message: String(cString: strerror(code)))
    }
}
