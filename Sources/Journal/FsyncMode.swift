/// How appends are made durable.
public enum FsyncMode: String, Sendable, CaseIterable {
    /// Every `commit` syncs: one fdatasync covers the whole batch appended since the last one
    /// (group commit).
    case always
    /// `commit` syncs when the last sync is older than the interval: a crash can lose at most
    /// that much of the newest data.
    case interval
    /// Never syncs (tests, throwaway setups): the OS decides when data reaches the disk.
    case never

    /// How often `interval` syncs unless configured otherwise (ms): the one place this
    /// default is written.
    public static let defaultIntervalMs: Int64 = 50
}
