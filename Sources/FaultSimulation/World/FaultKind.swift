/// Every kind of fault the world injects, for the per-seed counts `fault-sim` prints.
public enum FaultKind: String, Sendable, CaseIterable, Comparable {
    // Sensors
    case sensorReboot = "sensor reboot"
    case sensorSeqJump = "sensor seq jump"
    case sensorOutage = "sensor outage"
    case sensorSilence = "sensor switched off"
    // Network and broker
    case messageLost = "message lost"
    case messageDuplicated = "message duplicated"
    case messageDelayed = "message reordered"
    case brokerQueueFull = "broker queue overflow"
    case inputOutage = "gateway's input connection lost"
    // Gateway, clock, disk
    case processKill = "gateway killed"
    case powerCut = "power cut"
    case clockBack = "wall clock stepped back"
    case clockForward = "wall clock stepped forward"
    case writeError = "write error (ENOSPC/EIO)"
    case oddSize = "segment of the wrong size"
    case recordFlip = "bit flip in a record"
    case headerFlip = "bit flip in a segment header"
    case tailCut = "a segment's end lost"
    case shortRead = "short read"
    // The operator
    case journalResize = "journal resized at a restart"
    case resizeInterrupted = "resize interrupted by a write error"
    case resizeRefused = "resize refused, size put back"

    public static func < (a: FaultKind, b: FaultKind) -> Bool { a.rawValue < b.rawValue }
}
