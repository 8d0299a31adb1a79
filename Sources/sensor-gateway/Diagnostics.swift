import ArgumentParser
import Foundation
import Gateway

/// Errors worth a clear line on standard error and a specific exit status.
enum Diagnostics {
    /// Prints `error: message` to stderr and returns the exit status to throw: ArgumentParser
    /// then ends the process with it, without a stack trace (and without `exit()` from async code).
    static func failure(_ message: String, status: ExitStatus) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(status.rawValue)
    }
}
