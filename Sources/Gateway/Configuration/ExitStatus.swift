/// The exit statuses of `sensor-gateway`, after sysexits(3), so systemd and scripts can tell a
/// mistake to fix (which restarting will not mend) from a failure a restart may cure.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    /// `journal verify` found corruption.
    case corruptionFound = 1
    /// EX_USAGE: a bad flag.
    case usage = 64
    /// EX_NOINPUT: the journal to read (`replay`, `journal verify`) cannot be read.
    case noInput = 66
    /// EX_CANTCREAT: another gateway is using the data folder (its journal is locked); a
    /// restart will not mend it, giving this one a folder of its own will.
    case dataDirectoryInUse = 73
    /// EX_IOERR: the journal failed; a restart reopens and recovers it.
    case journalFailed = 74
    /// EX_CONFIG: a bad config file or environment value, settings from them that conflict, or an HTTP address
    /// that can never be bound (one that is taken is retried instead).
    case configuration = 78
}
