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

    /// The same for an exit status outside `ExitStatus`'s meanings (export's output: 73
    /// EX_CANTCREAT when it cannot be created, 74 EX_IOERR when it cannot be written).
    static func failure(_ message: String, code: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(code)
    }
}
