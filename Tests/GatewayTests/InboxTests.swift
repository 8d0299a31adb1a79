import Foundation
import MQTT
import Synchronization
import Testing
import TestSupport
@testable import Gateway

/// Runs `waitBlocking` on a thread of its own (as the service loop does); `returned` is set
/// when it comes back.
private final class Sleeper: Sendable {
    let returned = Atomic<Bool>(false)
    init(_ inbox: Inbox, atMost milliseconds: Int64 = 600_000, until condition: Inbox.WakeCondition) {
        Thread { [self] in
            inbox.waitBlocking(atMost: milliseconds, until: condition)
            returned.store(true, ordering: .sequentiallyConsistent)
        }.start()
    }
    var hasReturned: Bool { returned.load(ordering: .sequentiallyConsistent) }
}

/// Runs the close's wait for one acknowledgement on a thread of its own.
private final class Closer: Sendable {
    let returned = Atomic<Bool>(false)
    init(_ inbox: Inbox, waitingFor messageID: MessageID) {
        Thread { [self] in
            inbox.waitBlocking(forAcknowledgementOf: messageID, generation: 0, atMost: 600_000)
            returned.store(true, ordering: .sequentiallyConsistent)
        }.start()
    }
    var hasReturned: Bool { returned.load(ordering: .sequentiallyConsistent) }
}

@Suite("The service loop's inbox")
struct InboxTests {
    @Test("input below the batch and acknowledgements below theirs leave the loop asleep; the batch wakes it, and nothing is lost")
    func batchesWake() async throws {
        let inbox = Inbox()
        let condition = Inbox.WakeCondition(inputs: 3, acknowledgements: 2)
        let sleeper = Sleeper(inbox, until: condition)
        try await waitUntil("the loop asleep") { inbox.sleepingUntil == condition }
        inbox.inputArrived(waiting: 2)
        inbox.push(.output, [.published(messageID: MessageID(7))])
        // A wake-up clears the sleeping condition under the lock, before the call returns.
        #expect(inbox.sleepingUntil == condition)
        #expect(!sleeper.hasReturned)
        inbox.inputArrived(waiting: 3)
        try await waitUntil("the loop awake") { sleeper.hasReturned }
        #expect(inbox.sleepingUntil == nil)
        let taken = inbox.take()
        #expect(taken.map(\.event) == [.published(messageID: MessageID(7))])
        #expect(taken.map(\.source) == [.output])
    }

    @Test("enough acknowledgements wake the loop, and so does any other event at once")
    func acknowledgementsAndOtherEvents() async throws {
        let inbox = Inbox()
        let condition = Inbox.WakeCondition(inputs: .max, acknowledgements: 2)
        let first = Sleeper(inbox, until: condition)
        try await waitUntil("the loop asleep") { inbox.sleepingUntil == condition }
        inbox.push(.output, [.published(messageID: MessageID(1))])
        #expect(!first.hasReturned && inbox.sleepingUntil == condition)
        inbox.push(.output, [.published(messageID: MessageID(2))])
        try await waitUntil("woken by the second acknowledgement") { first.hasReturned }
        #expect(inbox.take().count == 2)

        let quiet = Inbox.WakeCondition(inputs: .max, acknowledgements: .max)
        let second = Sleeper(inbox, until: quiet)
        try await waitUntil("the loop asleep again") { inbox.sleepingUntil == quiet }
        inbox.push(.input, [.connected(sessionPresent: true)])
        try await waitUntil("woken by the connection event") { second.hasReturned }
    }

    @Test("an arrival that races a wait's timeout leaves no wake-up behind for the next wait")
    func timeoutRaceLeavesNoStaleWakeUp() async throws {
        let inbox = Mutex<Inbox?>(nil)
        // Arrives just after the wait has timed out, while it still counts as asleep.
        let racing = Inbox(afterTimeout: { inbox.withLock { $0 }?.inputArrived(waiting: 1) })
        inbox.withLock { $0 = racing }
        let first = Sleeper(racing, atMost: 1, until: .anything)
        try await waitUntil("the first wait over") { first.hasReturned }
        #expect(racing.signalsUntaken == 0)
        _ = racing.take()  // as the loop's turn does
        inbox.withLock { $0 = nil }
        let second = Sleeper(racing, until: .anything)
        try await waitUntil("the loop asleep") { racing.sleepingUntil == .anything }
        #expect(!second.hasReturned)
        racing.inputArrived(waiting: 1)
        try await waitUntil("woken by input") { second.hasReturned }
        #expect(racing.signalsUntaken == 0)
    }

    @Test("shutdown ends the loop's wait and every later one, but not the drain's, which any arrival ends")
    func stopAndTheDrain() async throws {
        let inbox = Inbox()
        let running = Sleeper(inbox, until: .anything)
        try await waitUntil("the loop asleep") { inbox.sleepingUntil == .anything }
        inbox.stop()
        try await waitUntil("woken by the stop") { running.hasReturned }
        let later = Sleeper(inbox, until: .anything)
        try await waitUntil("a later wait over at once") { later.hasReturned }
        let draining = Sleeper(inbox, until: .draining)
        try await waitUntil("the drain asleep") { inbox.sleepingUntil == .draining }
        #expect(!draining.hasReturned)
        inbox.push(.output, [.published(messageID: MessageID(3))])
        try await waitUntil("woken by the acknowledgement") { draining.hasReturned }
        #expect(inbox.signalsUntaken == 0)
    }

    @Test("the close's wait ends at the acknowledgement it waits for, not at another")
    func closeWaitsForItsAcknowledgement() async throws {
        let inbox = Inbox()
        inbox.stop()
        let closer = Closer(inbox, waitingFor: MessageID(9))
        try await waitUntil("the close asleep") { inbox.sleepingUntil == .draining }
        inbox.push(.output, [.published(messageID: MessageID(8))])
        try await waitUntil("asleep again after the other acknowledgement") { inbox.sleepingUntil == .draining }
        #expect(!closer.hasReturned)
        inbox.push(.output, [.published(messageID: MessageID(9))])
        try await waitUntil("woken by its acknowledgement") { closer.hasReturned }
    }

    @Test("something that arrived before the wait ends it at once")
    func arrivalBeforeTheWait() async throws {
        let inbox = Inbox()
        inbox.inputArrived(waiting: 1)
        let sleeper = Sleeper(inbox, until: .anything)
        try await waitUntil("returned without sleeping") { sleeper.hasReturned }
        #expect(inbox.sleepingUntil == nil)
    }
}
