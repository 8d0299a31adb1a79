import Foundation
import Logging

/// When this data folder's previous run started, kept in `<data-dir>/last-start`: its retained
/// `online` status (left when it was killed, until the broker publishes its will) is then known
/// for its own even when the clock stepped back across the restart (an RTC keeping local time,
/// a bad first NTP sync), where `OtherInstanceWatch` would take it for another instance started
/// after this one. Optional: unreadable or unwritable, it is left out with a warning.
enum PreviousRunStart {
    /// Reads the previous run's start (nil: none, or unreadable) and stores `startedAt` for the next.
    static func exchange(path: String, startedAt: Int64, logger: Logger) -> Int64? {
        var previous: Int64?
        switch NumberFile.read(path) {
        case .value(let start): previous = start
        case .absent: break
        case .unreadable: logger.warning("the previous run's start time is not a readable number; ignored", metadata: ["path": "\(path)"])
        }
        do {
            try NumberFile.write(startedAt, to: path)
        } catch {
            logger.warning(
                "cannot store this run's start time; after a backward clock step the next run may take this one's status for another instance's",
                metadata: ["path": "\(path)", "error": "\(error)"])
        }
        return previous
    }
}
