/// The findings (issue 29's, and later reviews') the simulator must be able to find, each with a
/// scenario aimed at it: the drawn world for a seed with only that finding's trigger switched on,
/// so a failure under it is that finding (`fault-sim --finding N`).
public enum Finding: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// 1: resend answers after a long outage taken as new sequence resets (seqs published twice).
    case resendTakenAsReset = 1
    /// 2: a segment of the wrong size recreated over acknowledged data.
    case oddSizedSegment = 2
    /// 3: a bit flip in a record header (or a segment header) dropping the rest of a segment.
    case headerBitFlip = 3
    /// 4: a fill bigger than the journal ring wedging the gateway.
    case fillBiggerThanRing = 4
    /// 5: a backward wall-clock step freezing output (record times clamped to max(last, now)).
    case clockStepBack = 5
    /// 6: a journal I/O error (ENOSPC, EIO) losing the reading in flight.
    case ioErrorLosesReading = 6
    /// 8: the journal's newest records lost at rest: a seq that went out published again with a
    /// different estimate (found by a black-box review: a newest segment cut to half).
    case newestRecordsLost = 8

    public var description: String {
        switch self {
        case .resendTakenAsReset: "finding 1: resend answers after a long outage taken as sequence resets"
        case .oddSizedSegment: "finding 2: a segment of the wrong size recreated over acknowledged data"
        case .headerBitFlip: "finding 3: a record header bit flip drops the rest of its segment"
        case .fillBiggerThanRing: "finding 4: a fill bigger than the journal ring wedges the gateway"
        case .clockStepBack: "finding 5: a backward wall-clock step freezes output"
        case .ioErrorLosesReading: "finding 6: a journal I/O error loses the reading in flight"
        case .newestRecordsLost: "finding 8: a segment's end lost at rest republishes a seq with a different estimate"
        }
    }
}

extension Scenario {
    /// The world drawn for `seed`, quietened (no disk, clock or crash faults; no reset by
    /// seq distance), with only `finding`'s trigger on.
    public static func aimed(at finding: Finding, seed: UInt64) -> Scenario {
        var s = Scenario.drawn(seed: seed).avoidingOpenFindings()
        s.faults.crash = 0
        s.faults.clockForward = 0
        switch finding {
        case .resendTakenAsReset:
            // Sensors at 20 Hz holding 3,000 readings; the gateway down for 40-80 s at a time
            // (the broker keeps 1,000 queued), so the resend request reaches far back.
            for i in s.sensors.indices {
                s.sensors[i].periodMs = 50
                s.sensors[i].bufferSize = 3000
                s.sensors[i].sendsBoot = true
                s.sensors[i].reboot = 0
                s.sensors[i].jump = 0
            }
            s.engine.resetThreshold = 1000
            s.brokerQueueLimit = 1000
            s.faults.crash = 0.004
            s.faults.powerCutShare = 0
            s.faults.downSteps = 400...800
        case .oddSizedSegment:
            s.faults.crash = 0.01
            s.faults.downSteps = 1...20
            s.faults.oddSize = 1
        case .headerBitFlip:
            s.faults.crash = 0.01
            s.faults.downSteps = 1...20
            s.faults.recordFlip = 1
            s.faults.recordFlipInHeader = 1
            s.faults.headerFlip = 0.5
        case .fillBiggerThanRing:
            // One seq jump of thousands with a max-fill that lets it be filled, in a small ring.
            s.engine.maxFill = 20_000
            s.journalBytes = 256 * 1024
            for i in s.sensors.indices {
                s.sensors[i].jump = 0.002
                s.sensors[i].jumpSize = 3000...8000
                s.sensors[i].bufferSize = 0
            }
        case .clockStepBack:
            // Gaps no resend can close, and the wall clock stepped back by minutes.
            for i in s.sensors.indices { s.sensors[i].bufferSize = 0 }
            s.network.loss = max(s.network.loss, 0.05)
            s.faults.clockBack = 0.003
            s.faults.clockStepMs = 60_000...600_000
        case .newestRecordsLost:
            // Crashes with short pauses, and after each a segment's end lost, often the newest.
            s.faults.crash = 0.01
            s.faults.downSteps = 1...20
            s.faults.tailCut = 1
            for i in s.sensors.indices { s.sensors[i].outOfRange = max(s.sensors[i].outOfRange, 0.03) }
        case .ioErrorLosesReading:
            // Writes and syncs failing now and then; sensors that cannot resend.
            for i in s.sensors.indices { s.sensors[i].bufferSize = 0 }
            s.faults.writeError = 0.005
        }
        return s
    }
}
