import Foundation
import Journal
import Synchronization
import Testing
import TestSupport
@testable import Gateway

/// The events that replaced polling sleeps wake their waiters: a lost wake-up ends the wait at
/// its deadline, unanswered, and the test fails on that answer (a one-minute time limit did
/// this before, and failed a loaded CI run whose waiting task got no pool thread for minutes).
@Suite("waits woken by events")
struct ThreadWakeTests {
    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    @Test("a move's wait for the new HTTP endpoint ends when it listens")
    func listeningEndsTheWait() async {
        let state = HTTPBindState()
        let waiter = Task { await onOwnThread { state.waitUntilListening(atMost: 120_000) } }
        state.noteListening()
        #expect(await waiter.value, "woken, not ended by the deadline")
    }

    @Test("a wait for an HTTP endpoint that never listens ends at its deadline, unanswered")
    func deadlineEndsTheWait() {
        #expect(!HTTPBindState().waitUntilListening(atMost: 1))
    }

    /// The input client's network thread leaves a hung-up socket out of its `poll` while input
    /// is paused; the journal wakes it when input resumes, and when it failed (the connection
    /// must then be cut before acknowledgements leave).
    @Test("the journal wakes the input thread when input resumes and when it fails, not when it pauses")
    func journalWakesTheInputThread() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try IngestJournal(
            layout: try JournalLayout(directory: dir.file("journal"), maxBytes: 64 << 20, segmentCount: 4), fsync: .never,
            passThroughTopic: "gateway/t/replay", maxPayloadBytes: 1024, onInput: { _ in })
        let wakes = Counter()
        journal.onChange { wakes.value.add(1, ordering: .relaxed) }
        journal.outputWaits(true)
        #expect(!journal.acceptsMore)
        #expect(wakes.value.load(ordering: .relaxed) == 0)
        journal.outputWaits(false)
        #expect(journal.acceptsMore)
        #expect(wakes.value.load(ordering: .relaxed) == 1)
        journal.fail("test")
        #expect(journal.lostAcceptedMessages)
        #expect(wakes.value.load(ordering: .relaxed) == 2)
        journal.fail("again")
        #expect(wakes.value.load(ordering: .relaxed) == 2)
    }
}
