/// Why the journal refused an operation.
public enum JournalError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case io(FileSystemError)
    /// An earlier write or sync failed; nothing more is accepted until the journal is reopened.
    case poisoned(String)
    case recordTooLarge(Int)
    /// Every segment holds records at or after `retainFrom`: nothing was written; try again once
    /// the work they hold is finished. Not a failure of the files.
    case full
    /// Another writer (another gateway, in this process or another) holds the journal
    /// directory's lock file at `path`: one data folder serves one gateway.
    case locked(path: String)
    /// One of the journal's invariants did not hold (a bug, never a property of the files):
    /// what was found.
    case invariantViolated(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let s): s
        case .io(let e): "journal I/O failed: \(e)"
        case .poisoned(let s): "journal refuses writes after an earlier failure (\(s)); restart to recover"
        case .recordTooLarge(let n): "record of \(n) bytes does not fit in a journal segment"
        case .full: "journal full of unfinished work (unprocessed input or unacknowledged output)"
        case .invariantViolated(let what): "journal invariant violated: \(what)"
        case .locked(let path):
            "another sensor-gateway is using this journal (\(path) is locked): run one gateway per data directory, or give this one its own --data-dir"
        }
    }
}
