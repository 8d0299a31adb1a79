import Synchronization
import Testing
@testable import Gateway

/// A wall clock and a monotonic clock a test moves by hand.
final class HandClocks: Sendable {
    private let times = Mutex((wall: Int64(1_795_660_000_000), monotonic: Int64(5_000)))
    var sources: JournalClock.Sources {
        JournalClock.Sources(
            wallMilliseconds: { self.times.withLock { $0.wall } }, monotonicMilliseconds: { self.times.withLock { $0.monotonic } })
    }
    /// Time passes: both clocks move.
    func pass(_ ms: Int64) {
        times.withLock {
            $0.wall += ms; $0.monotonic += ms
        }
    }
    /// The wall clock steps; the monotonic clock does not.
    func step(_ ms: Int64) { times.withLock { $0.wall += ms } }
    var wall: Int64 { times.withLock { $0.wall } }
}

@Suite("The journal's timeline under wall-clock steps")
struct JournalClockTests {
    static let hours2: Int64 = 2 * 3_600_000

    @Test("a backward step neither freezes nor reverses the timeline: it goes on at the monotonic pace, ahead by the step")
    func backwardStep() {
        let clocks = HandClocks()
        let clock = JournalClock(sources: clocks.sources)
        let t0 = clock.now()
        clocks.pass(100)
        #expect(clock.now() == t0 + 100)
        clocks.step(-Self.hours2)
        clocks.pass(250)
        #expect(clock.now() == t0 + 350)
        #expect(clock.offsetMs == -Self.hours2)
        #expect(clock.steps == 1)
        #expect(clock.takeUnreportedSteps() == [JournalClock.Step(milliseconds: -Self.hours2, at: t0 + 350)])
        #expect(clock.takeUnreportedSteps().isEmpty)
        // The wall clock stepping back to the truth is a second step, and nothing jumps.
        clocks.step(Self.hours2)
        clocks.pass(10)
        #expect(clock.now() == t0 + 360)
        #expect(clock.offsetMs == 0)
        #expect(clock.steps == 2)
        // That second step moved the timeline by nothing: the report says so (found black-box,
        // 46th review: logged as followed while the timeline moved 12 s of 2 h).
        #expect(clock.takeUnreportedSteps() == [JournalClock.Step(milliseconds: Self.hours2, at: t0 + 360, followedMs: 0)])
        clocks.step(Self.hours2)
        #expect(clock.now() == t0 + 360 + Self.hours2)
        #expect(clock.takeUnreportedSteps().map(\.followedMs) == [Self.hours2])
    }

    @Test("a forward step is followed at once, and counted")
    func forwardStep() {
        let clocks = HandClocks()
        let clock = JournalClock(sources: clocks.sources)
        let t0 = clock.now()
        clocks.step(86_400_000)
        #expect(clock.now() == t0 + 86_400_000)
        #expect(clock.steps == 1)
        #expect(clock.offsetMs == 0)
    }

    @Test("drift and slewing below the tolerance are not steps")
    func smallChanges() {
        let clocks = HandClocks()
        let clock = JournalClock(sources: clocks.sources)
        let t0 = clock.now()
        for _ in 0..<10 {
            clocks.step(-50)
            clocks.pass(100)
            _ = clock.now()
        }
        #expect(clock.steps == 0)
        #expect(clock.now() == t0 + 1000)
    }

    @Test(
        "after a restart with the wall clock behind the journal, the timeline starts at the journal's last time and moves on, and the step is counted and reported once (found black-box: nothing logged or counted)"
    )
    func restartBehindJournal() {
        let clocks = HandClocks()
        let lastJournaled = clocks.wall + Self.hours2
        let clock = JournalClock(notBefore: lastJournaled, sources: clocks.sources)
        #expect(clock.now() == lastJournaled)
        clocks.pass(500)
        #expect(clock.now() == lastJournaled + 500)
        #expect(clock.steps == 1)
        #expect(clock.takeUnreportedSteps() == [JournalClock.Step(milliseconds: -Self.hours2, at: lastJournaled)])
        #expect(clock.takeUnreportedSteps().isEmpty)
        // Restoring raises it the same way.
        let other = JournalClock(sources: clocks.sources)
        #expect(other.steps == 0)
        other.resume(notBefore: lastJournaled + 10_000)
        clocks.pass(1)
        #expect(other.now() == lastJournaled + 10_001)
        #expect(other.steps == 1)
        // A journal whose last time is no later than the wall clock (time passed while stopped): no step.
        let ahead = JournalClock(notBefore: clocks.wall - 60_000, sources: clocks.sources)
        #expect(ahead.steps == 0)
    }

    @Test(
        "a restart while the wall clock is still behind the journal goes on by the previous run's lead: the time stopped counts, and the old step is not reported again; a further step while stopped is (found black-box, 74th review)"
    )
    func restartWithLead() {
        let clocks = HandClocks()
        let first = JournalClock(sources: clocks.sources)
        clocks.step(-Self.hours2)
        let lastJournaled = first.now()
        #expect(first.offsetMs == -Self.hours2)
        _ = first.takeUnreportedSteps()
        // Stopped for 30 s, then started again with the wall clock as it was.
        clocks.pass(30_000)
        let second = JournalClock(sources: clocks.sources)
        second.resume(notBefore: lastJournaled, lead: first.offsetMs)
        #expect(second.now() == lastJournaled + 30_000, "the 30 s stopped count")
        #expect(second.offsetMs == -Self.hours2)
        #expect(second.steps == 0)
        // Without the lead (none kept), as before: the journal's last time, and the step again.
        let unkept = JournalClock(sources: clocks.sources)
        unkept.resume(notBefore: lastJournaled)
        #expect(unkept.now() == lastJournaled)
        #expect(unkept.steps == 1)
        // Stopped again, and the wall clock stepped back a further hour meanwhile: that hour is
        // a step, the time stopped is not counted (it cannot be told), and nothing goes back.
        let secondLast = second.now()
        clocks.pass(10_000)
        clocks.step(-3_600_000)
        let third = JournalClock(sources: clocks.sources)
        third.resume(notBefore: secondLast, lead: second.offsetMs)
        #expect(third.now() == secondLast)
        #expect(third.takeUnreportedSteps().map(\.milliseconds) == [-3_600_000 + 10_000])
        // The wall clock put right while stopped (ahead of the journal): it is followed, lead or not.
        clocks.step(Self.hours2 + 3_600_000)
        let fourth = JournalClock(sources: clocks.sources)
        fourth.resume(notBefore: secondLast, lead: third.offsetMs)
        #expect(fourth.now() == clocks.wall)
        #expect(fourth.offsetMs == 0)
    }
}
