/// Why the gateway stopped.
public enum GatewayFailure: Error, CustomStringConvertible {
    /// The journal can no longer append: nothing more can be taken safely.
    case journal(String)
    /// The journal could not be opened at start-up.
    case journalUnavailable(String)
    /// Another gateway holds the journal's lock: one gateway per data folder.
    case journalInUse(String)
    /// The journal cannot be opened with the configured size (a shrink below its unfinished
    /// work, segment files of another size): a restart cannot help, the setting or the folder
    /// must change.
    case journalMisconfigured(String)

    public var description: String {
        switch self {
        case .journal(let reason): "the journal can no longer append: \(reason)"
        case .journalUnavailable(let reason): reason
        case .journalInUse(let reason): reason
        case .journalMisconfigured(let reason): reason
        }
    }
}
