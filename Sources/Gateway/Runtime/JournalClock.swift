import Synchronization

/// The timeline the journal and the engine run on: epoch milliseconds that advance with the
/// monotonic clock, so a step of the wall clock delays nothing.
///
/// Every reorder window, resend wait, fill, staleness and retention decision of the engine is
/// measured on the record times this clock stamps. They must never go back (replay feeds them
/// to the engine in journal order), and they must not stand still while the wall clock is
/// behind them: clamping the wall clock to the last time journaled froze every window after a
/// backward step, for as long as the step (issue 28). So the timeline moves by the monotonic
/// clock's elapsed time, and it follows the wall clock only *forwards*:
///
/// - a forward step (the wall clock ahead of the timeline by more than `stepToleranceMs`) is
///   followed at once: windows that were open close (what they waited for is filled, flagged,
///   and restated if it arrives), and replays of recent windows keep finding their start;
/// - a backward step is not followed: the timeline goes on at the monotonic clock's pace, ahead
///   of the wall clock by the step (shown as `offsetMs`), until the wall clock catches up;
/// - both are counted and reported once each (`steps`, `lastStep`).
///
/// At start the timeline begins at the later of the wall clock and the last time journaled, so
/// a step across a restart behaves the same.
public final class JournalClock: Sendable {
    /// A step of the wall clock, as seen against the timeline.
    public struct Step: Sendable, Equatable {
        /// Positive forwards, negative backwards.
        public var milliseconds: Int64
        /// The timeline's time when it was seen.
        public var at: Int64
    }

    /// The wall and monotonic clocks, as functions (tests step them).
    public struct Sources: Sendable {
        public var wallMilliseconds: @Sendable () -> Int64
        public var monotonicMilliseconds: @Sendable () -> Int64
        public static let system = Sources(
            wallMilliseconds: Clocks.epochMilliseconds, monotonicMilliseconds: Clocks.monotonicMilliseconds)
        public init(wallMilliseconds: @escaping @Sendable () -> Int64, monotonicMilliseconds: @escaping @Sendable () -> Int64) {
            self.wallMilliseconds = wallMilliseconds
            self.monotonicMilliseconds = monotonicMilliseconds
        }
    }

    /// A change of the wall clock against the monotonic clock smaller than this is drift or NTP
    /// slewing, not a step.
    public static let stepToleranceMs: Int64 = 1_000

    private struct State {
        var time: Int64
        var monotonic: Int64
        /// Wall clock minus timeline at the last reading, to see steps as changes of it.
        var offset: Int64
        var steps = 0
        var lastStep: Step?
        var unreported: [Step] = []
    }

    private let sources: Sources
    private let state: Mutex<State>

    /// `notBefore`: the last time the journal holds (the timeline never goes below it).
    public init(notBefore: Int64 = .min, sources: Sources = .system) {
        self.sources = sources
        let wall = sources.wallMilliseconds()
        let start = max(wall, notBefore)
        state = Mutex(State(time: start, monotonic: sources.monotonicMilliseconds(), offset: wall - start))
    }

    /// Raises the timeline to `time` if it is behind it (a restored journal's last record time).
    public func resume(notBefore time: Int64) {
        let wall = sources.wallMilliseconds()
        let monotonic = sources.monotonicMilliseconds()
        state.withLock { s in
            s.time += max(0, monotonic - s.monotonic)
            s.monotonic = monotonic
            s.time = max(s.time, time)
            s.offset = wall - s.time
        }
    }

    /// The timeline's time now: never less than any time it returned before.
    public func now() -> Int64 {
        let wall = sources.wallMilliseconds()
        let monotonic = sources.monotonicMilliseconds()
        return state.withLock { s in
            s.time += max(0, monotonic - s.monotonic)
            s.monotonic = monotonic
            let offset = wall - s.time
            let change = offset - s.offset
            if abs(change) > Self.stepToleranceMs {
                let step = Step(milliseconds: change, at: s.time)
                s.steps += 1
                s.lastStep = step
                s.unreported.append(step)
            }
            if offset > Self.stepToleranceMs {
                // The wall clock is ahead: follow it (a forward step, or the wall clock catching up).
                s.time = wall
            }
            s.offset = wall - s.time
            return s.time
        }
    }

    /// How far the wall clock is from the timeline now (negative: the timeline is ahead, after
    /// a backward step).
    public var offsetMs: Int64 { state.withLock { $0.offset } }

    /// Steps seen since the start.
    public var steps: Int { state.withLock { $0.steps } }

    public var lastStep: Step? { state.withLock { $0.lastStep } }

    /// Steps seen and not yet taken, for the log (each is reported once).
    public func takeUnreportedSteps() -> [Step] {
        state.withLock { s in
            defer { s.unreported.removeAll() }
            return s.unreported
        }
    }
}
