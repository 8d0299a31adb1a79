import ArgumentParser
import Foundation
import Gateway
import Logging

/// Errors worth a clear line on standard error and a specific exit status.
enum Diagnostics {
    /// Prints `error: message` to stderr and returns the exit status to throw: ArgumentParser
    /// then ends the process with it, without a stack trace (and without `exit()` from async code).
    static func failure(_ message: String, status: ExitStatus) -> ExitCode {
        failure(message, code: status.rawValue)
    }

    /// The same for an exit status outside `ExitStatus`'s meanings (export's output: 73
    /// EX_CANTCREAT when it cannot be created, 74 EX_IOERR when it cannot be written).
    /// Under systemd the line carries the error priority, `<3>`, as the log's lines do (found
    /// black-box, 67th review: journald stored the line saying why the service stopped at info,
    /// so `journalctl -p warning` did not show it).
    static func failure(_ message: String, code: Int32) -> ExitCode {
        let priority = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil ? "<3>" : ""
        FileHandle.standardError.write(Data("\(priority)error: \(message)\n".utf8))
        return ExitCode(code)
    }

    /// The same once the log is set up (`run`): the line goes through `logger`, so it has the
    /// log's format (JSON with `log-format json`) and priority.
    static func failure(_ message: String, status: ExitStatus, logger: Logger) -> ExitCode {
        logger.error("\(message)", metadata: ["exit_status": "\(status.rawValue)"])
        return ExitCode(status.rawValue)
    }
}
