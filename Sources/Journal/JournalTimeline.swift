/// The timeline journal record times are stamped on: epoch milliseconds that advance with the
/// monotonic clock and follow the wall clock only forwards, so a step of the wall clock neither
/// freezes nor reverses the windows measured on them (issue 28).
///
/// Record times must never go back (replay feeds them to the engine in journal order), and must
/// not stand still while the wall clock is behind them: clamping the wall clock to the last
/// time journaled froze every window after a backward step, for as long as the step. So:
/// - a forward step (the wall clock ahead by more than `stepToleranceMs`) is followed at once;
/// - a backward step is not followed: the timeline goes on at the monotonic pace, ahead of the
///   wall clock by the step (`offset`), until the wall clock catches up;
/// - both are counted and kept for reporting.
///
/// A value type with no clock of its own: the gateway's `JournalClock` feeds it the system
/// clocks under a lock, the fault simulator its simulated ones.
public struct JournalTimeline: Sendable {
    /// A step of the wall clock, as seen against the timeline.
    public struct Step: Sendable, Equatable {
        /// Positive forwards, negative backwards.
        public var milliseconds: Int64
        /// The timeline's time when it was seen.
        public var at: Int64
        /// How far the timeline moved with it: all of a forward step, or only what takes the wall
        /// clock past the timeline when an earlier backward step left the timeline ahead (found
        /// black-box, 46th review: a +2 h step 7,188 s after a -2 h one was logged as followed,
        /// though the timeline moved 12 s); 0 for a backward step.
        public var followedMs: Int64
        public init(milliseconds: Int64, at: Int64, followedMs: Int64 = 0) {
            self.milliseconds = milliseconds
            self.at = at
            self.followedMs = followedMs
        }
    }

    /// A change of the wall clock against the monotonic clock smaller than this is drift or NTP
    /// slewing, not a step.
    public static let stepToleranceMs: Int64 = 1_000

    public private(set) var time: Int64
    private var monotonic: Int64
    /// Wall clock minus timeline at the last reading, to see steps as changes of it.
    public private(set) var offset: Int64
    public private(set) var steps = 0
    public private(set) var lastStep: Step?
    /// Steps seen and not yet taken by `takeUnreportedSteps`.
    private var unreported: [Step] = []

    /// Starts at the later of `wall` and `notBefore` (the last time the journal holds).
    public init(wall: Int64, monotonic: Int64, notBefore: Int64 = .min) {
        time = max(wall, notBefore)
        self.monotonic = monotonic
        offset = wall - time
        noteBehind(wall: wall)
    }

    /// Raises the timeline to `notBefore` if it is behind it (a restored journal's last time).
    /// `lead`: the offset the previous run's timeline kept from the wall clock when it stopped
    /// (negative: it ran ahead, after a backward step the wall clock had not caught up). With
    /// the wall clock still behind the journal, the timeline goes on from the wall clock by
    /// that lead, so the time the gateway was stopped counts as it does without a step (found
    /// black-box, 74th review: it started at the journal's last time, so the 30 s stopped went
    /// missing, a fill was restated after its late horizon, and each restart logged and counted
    /// the old step again). Only a step beyond that lead is reported.
    public mutating func resume(notBefore: Int64, wall: Int64, monotonic: Int64, lead: Int64? = nil) {
        time += max(0, monotonic - self.monotonic)
        self.monotonic = monotonic
        let before = time
        let lead = lead.flatMap { $0 < -Self.stepToleranceMs ? $0 : nil }
        if let lead, wall < notBefore { time = max(time, wall - lead) }
        time = max(time, notBefore)
        offset = wall - time
        if time > before { noteBehind(wall: wall, expectedLead: lead ?? 0) }
    }

    /// A start found the wall clock behind the journal's last time by more than the tolerance:
    /// it stepped back since the journal was written (while stopped, or while the last run was
    /// still ahead of it), and is counted and reported as a backward step, as one seen running
    /// would be (found black-box: a restart 1 h behind warned on `/healthz` but logged and
    /// counted nothing). A forward step while stopped cannot be told from time passing.
    private mutating func noteBehind(wall: Int64, expectedLead: Int64 = 0) {
        guard time - wall + expectedLead > Self.stepToleranceMs else { return }
        let step = Step(milliseconds: wall - time - expectedLead, at: time)
        steps += 1
        lastStep = step
        unreported.append(step)
    }

    /// The timeline's time at these clock readings: never less than any time it gave before.
    public mutating func now(wall: Int64, monotonic: Int64) -> Int64 {
        time += max(0, monotonic - self.monotonic)
        self.monotonic = monotonic
        let change = wall - time - offset
        let seenAt = time
        // The wall clock is ahead: follow it (a forward step, or the wall clock catching up).
        if wall - time > Self.stepToleranceMs { time = wall }
        if abs(change) > Self.stepToleranceMs {
            let step = Step(milliseconds: change, at: seenAt, followedMs: change > 0 ? time - seenAt : 0)
            steps += 1
            lastStep = step
            unreported.append(step)
        }
        offset = wall - time
        return time
    }

    /// Steps seen since the last call, each reported once.
    public mutating func takeUnreportedSteps() -> [Step] {
        defer { unreported.removeAll() }
        return unreported
    }
}
