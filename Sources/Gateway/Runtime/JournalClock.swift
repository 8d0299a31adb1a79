import Journal
import Synchronization

/// The journal's timeline (`JournalTimeline`) fed the system's clocks, shared by the network
/// thread (receive times) and the service loop (ticks, publications, the loop's deadlines).
public final class JournalClock: Sendable {
    public typealias Step = JournalTimeline.Step

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

    public static let stepToleranceMs = JournalTimeline.stepToleranceMs

    private let sources: Sources
    private let timeline: Mutex<JournalTimeline>

    /// `notBefore`: the last time the journal holds (the timeline never goes below it).
    public init(notBefore: Int64 = .min, sources: Sources = .system) {
        self.sources = sources
        timeline = Mutex(JournalTimeline(wall: sources.wallMilliseconds(), monotonic: sources.monotonicMilliseconds(), notBefore: notBefore))
    }

    /// Raises the timeline to `time` if it is behind it (a restored journal's last record time),
    /// going on by `lead` (the previous run's `offsetMs`, `ClockLeadFile`) while the wall clock
    /// is still behind the journal (`JournalTimeline.resume`).
    public func resume(notBefore time: Int64, lead: Int64? = nil) {
        let (wall, monotonic) = (sources.wallMilliseconds(), sources.monotonicMilliseconds())
        timeline.withLock { $0.resume(notBefore: time, wall: wall, monotonic: monotonic, lead: lead) }
    }

    /// The timeline's time now: never less than any time it returned before.
    public func now() -> Int64 { nowAndMonotonic().time }

    /// The timeline's time now, and the monotonic clock's reading it came from: how long ago
    /// something happened, told by the monotonic clock, whatever the wall clock did since.
    public func nowAndMonotonic() -> (time: Int64, monotonic: Int64) {
        let (wall, monotonic) = (sources.wallMilliseconds(), sources.monotonicMilliseconds())
        return (timeline.withLock { $0.now(wall: wall, monotonic: monotonic) }, monotonic)
    }

    /// How far the wall clock is from the timeline (negative: the timeline is ahead, after a
    /// backward step).
    public var offsetMs: Int64 { timeline.withLock { $0.offset } }

    /// Steps seen since the start.
    public var steps: Int { timeline.withLock { $0.steps } }

    public var lastStep: Step? { timeline.withLock { $0.lastStep } }

    /// Steps seen and not yet taken, for the log (each is reported once).
    public func takeUnreportedSteps() -> [Step] { timeline.withLock { $0.takeUnreportedSteps() } }
}
