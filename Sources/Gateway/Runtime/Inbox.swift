import MQTT
import Synchronization
import Waiting

/// The pipeline's one place to wait: events from both broker connections, and word from the
/// network thread that journaled input is waiting.
///
/// Both network threads deliver here directly, and wake the service loop's thread only when it
/// is asleep and what arrived is worth a turn (`WakeCondition`): a profile of the daemon had
/// most of its futex calls in a condition variable signalled on every arrival (the woken thread
/// then blocked on the signaller's lock) and in the cooperative pool's threads that forwarded
/// each batch of acknowledgements.
final class Inbox: Sendable {
    enum Source: Sendable { case input, output, sparkplug }

    /// An event and when it arrived (monotonic µs: an acknowledgement's latency ends there, not
    /// when the loop gets to it).
    struct Arrival {
        var source: Source
        var event: MQTTEvent
        var at: Int64
        /// Which `BrokerSession` the connection belonged to (a SIGHUP reconnection starts a new
        /// one; the old one's late events are not the new one's).
        var generation = 0
    }

    /// What ends a `waitBlocking` early, besides any event other than an acknowledgement.
    struct WakeCondition: Equatable {
        /// Journaled input messages waiting for the pipeline.
        var inputs = 1
        /// Acknowledgements of our publications since the last `take()`.
        var acknowledgements = 1
        /// Whether shutdown ends the wait: not while draining, which runs after shutdown began.
        var endsAtStop = true
        static let anything = WakeCondition()
        /// Any arrival, shutdown or not (the drain's and the close's waits).
        static let draining = WakeCondition(endsAtStop: false)
    }

    private struct State {
        var events: [Arrival] = []
        /// Events in `events` that are not acknowledgements.
        var otherEvents = 0
        /// Journaled input waiting for the pipeline, as last reported (0 once taken).
        var inputWaiting = 0
        /// A journal sync ended since the last `take()`: publications may have become durable.
        var durable = false
        /// The loop's thread is in (or about to enter) `waitBlocking`'s wait, for this.
        var sleeping: WakeCondition?
        /// Signals of `sleeper` not yet taken by a wait (0 whenever no wait is in progress).
        var signalsUntaken = 0
        /// Shutdown was requested: every wait that `endsAtStop` ends at once.
        var stopping = false
        func satisfies(_ c: WakeCondition) -> Bool {
            (stopping && c.endsAtStop) || otherEvents > 0 || durable || inputWaiting >= c.inputs
                || events.count - otherEvents >= c.acknowledgements
        }
    }

    private let state = Mutex(State())
    /// Where `waitBlocking` sleeps. Signalled once per sleep, by the arrival that ends it, so its
    /// count never runs ahead of the waits. Its timeout is monotonic: a wall-clock step does not
    /// lengthen a sleep.
    private let sleeper = MonotonicSemaphore()
    /// Test hook: runs when a blocking wait has timed out, before it looks whether an arrival
    /// raced the timeout (so a test can make one do so).
    private let afterTimeout: (@Sendable () -> Void)?

    init(afterTimeout: (@Sendable () -> Void)? = nil) {
        self.afterTimeout = afterTimeout
    }

    func push(_ source: Source, _ batch: [MQTTEvent], generation: Int = 0) {
        let now = Clocks.monotonicMicroseconds()
        wake { s in
            for event in batch {
                s.events.append(Arrival(source: source, event: event, at: now, generation: generation))
                if case .published = event {} else { s.otherEvents += 1 }
            }
        }
    }

    /// Ends the loop thread's blocking wait now and every later one at once (shutdown was requested), so a
    /// SIGTERM is seen within one turn, not after the longest sleep.
    func stop() {
        wake { $0.stopping = true }
    }

    /// New engine settings wait to be journaled: worth a turn.
    func settingsChanged() {
        wake { $0.otherEvents += 1 }
    }

    /// A journal sync ended (`JournalFlusher`): what it made durable can be published.
    func journalDurable() {
        wake { $0.durable = true }
    }

    /// `waiting`: journaled messages now waiting for the pipeline.
    func inputArrived(waiting: Int) {
        wake { $0.inputWaiting = max(waiting, 1) }
    }

    /// Takes the events queued so far (the input count is cleared too: the pipeline takes input
    /// every turn it can, and the network thread reports again after its next read).
    func take() -> [Arrival] {
        state.withLock { s in
            s.inputWaiting = 0
            s.otherEvents = 0
            s.durable = false
            defer { s.events.removeAll(keepingCapacity: true) }
            return s.events
        }
    }

    /// Blocks the calling thread (the service loop's own) until what arrived meets `condition`
    /// (at once if it already does), or for at most `milliseconds`. No tasks and no timers,
    /// which the async wait below costs on every call.
    func waitBlocking(atMost milliseconds: Int64, until condition: WakeCondition = .anything) {
        let ready = state.withLock { s in
            if s.satisfies(condition) { return true }
            s.sleeping = condition
            return false
        }
        if ready { return }
        if !sleeper.wait(milliseconds: milliseconds) {
            afterTimeout?()
            // An arrival that found `sleeping` set cleared it and signals (perhaps just now):
            // take that signal, so the next wait does not end early on it.
            let signalComing = state.withLock { s in
                defer { s.sleeping = nil }
                return s.sleeping == nil
            }
            if !signalComing { return }
            sleeper.wait()
        }
        state.withLock { $0.signalsUntaken -= 1 }
    }

    /// What the loop's thread sleeps until now (nil when it is not asleep): for tests, which
    /// can see without a timing that an arrival did not end the sleep.
    var sleepingUntil: WakeCondition? { state.withLock { $0.sleeping } }

    /// Wake-up signals given and not taken by a wait: 0 between waits, or a later wait would
    /// end at once. For tests.
    var signalsUntaken: Int { state.withLock { $0.signalsUntaken } }

    /// Blocks the calling thread until the broker acknowledges `messageID` on the output
    /// connection, or for at most `milliseconds`; takes (and drops) every other arrival meanwhile.
    /// For the close, after the loop's last turn.
    func waitBlocking(forAcknowledgementOf messageID: MessageID, generation: Int, atMost milliseconds: Int64) {
        let deadline = Clocks.monotonicMilliseconds() + milliseconds
        while Clocks.monotonicMilliseconds() < deadline {
            waitBlocking(atMost: max(1, deadline - Clocks.monotonicMilliseconds()), until: .draining)
            for arrival in take()
            where arrival.generation == generation && arrival.source == .output && arrival.event == .published(messageID: messageID) {
                return
            }
        }
    }

    private func wake(_ change: (inout State) -> Void) {
        let wakeSleeper = state.withLock { s -> Bool in
            change(&s)
            guard let condition = s.sleeping, s.satisfies(condition) else { return false }
            s.sleeping = nil
            s.signalsUntaken += 1
            return true
        }
        if wakeSleeper { sleeper.signal() }
    }
}
