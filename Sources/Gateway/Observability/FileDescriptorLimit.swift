import Glibc

/// The process's open-file limit. Each HTTP connection is a file descriptor, and the endpoint
/// admits `HTTPEndpoint.Limits.maxConnections` at once beside the journal's and the broker's
/// files: the common soft limit of 1,024 would let a crowd of stalled clients use them all up.
public enum FileDescriptorLimit {
    /// Raises the soft limit to the hard one (what the unit's `LimitNOFILE` or the shell allows;
    /// Go's runtime does the same at start). Returns the soft limit now in force.
    @discardableResult
    public static func raiseSoftToHard() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }
}
