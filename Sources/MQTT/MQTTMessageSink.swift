import Logging
import Synchronization
import Waiting

/// Takes inbound messages on libmosquitto's network thread, before anything else can lose them.
///
/// libmosquitto 2.0 acknowledges a QoS 1 message before handing it over, so whatever the
/// sink does not make durable at once is "ours to lose". A sink lets the owner of the data
/// (the gateway's journal) take each message straight from the callback, and lets it stop the
/// client reading the socket while it is behind: the broker's session then holds the backlog.
///
/// Every method is called on the network thread and must not block for long or await.
public protocol MQTTMessageSink: Sendable {
    /// Takes one message (its buffers are valid only during the call). Returns false to let it
    /// through as an ordinary `.message` event instead.
    func accept(topic: String, payload: UnsafeRawBufferPointer) -> Bool
    /// Called after each read of the socket that delivered at least one accepted message.
    func endOfBurst()
    /// Polled before each read of the socket: false leaves the socket unread (writes,
    /// acknowledgements of our publications and keepalive still go on).
    var acceptsMore: Bool { get }
    /// True once the sink lost a message it accepted (its store failed). The connection is then
    /// cut before libmosquitto writes the acknowledgements it queued (it queues the PUBACK of a
    /// QoS 1 message before handing the message over), so the broker keeps the message in the
    /// session and delivers it again, instead of counting as delivered what nobody kept.
    var lostAcceptedMessages: Bool { get }
    /// Called as the client is created, with what wakes its network thread. The sink calls
    /// `wake` when `acceptsMore` turns true again or `lostAcceptedMessages` turns true, so the
    /// thread acts on it at once instead of at its next keepalive step.
    func onChange(wake: @escaping @Sendable () -> Void)
}

extension MQTTMessageSink {
    /// A sink that cannot lose what it accepted.
    public var lostAcceptedMessages: Bool { false }
    /// A sink whose `acceptsMore` changes rarely enough that the next keepalive step will do.
    public func onChange(wake: @escaping @Sendable () -> Void) {}
}

/// What libmosquitto's callbacks reach through `userdata`: the event queue and the optional sink.
final class CallbackContext: Sendable {
    let queue: EventQueue
    let sink: (any MQTTMessageSink)?
    /// libmosquitto's log goes here when set (`MQTTConfiguration.libraryLogger`), while
    /// `forwardingLog` says so.
    let logger: Logger?
    /// Whether `logger`'s level lets libmosquitto's debug lines through now; kept by the network
    /// loop (the callback is also on, without forwarding, while a TLS connection is made).
    let forwardingLog = Atomic<Bool>(false)
    /// Messages the sink accepted during the current read; reset by the network loop.
    let acceptedInBurst = Atomic<Int>(0)
    /// Between CONNACK and the connection's end. Until the broker has accepted the connection
    /// the socket is read whatever the sink says (nothing but CONNACK can come first).
    let sessionUp = Atomic<Bool>(false)
    /// Our QoS 1/2 publications the broker has not acknowledged yet, so that `disconnect()` can
    /// let them finish first and a publisher can pace itself. Held across `mosquitto_publish`, so
    /// an acknowledgement (on the network thread) cannot come before its publication is counted.
    let unacknowledged = Mutex(Unacknowledged())
    /// Broadcast when what the client's waits look at changes: an acknowledgement, the session's
    /// end, a stop requested, the network thread's end.
    let changed = MonotonicCondition()
    /// libmosquitto's error lines since the last successful connection (the last few): the only
    /// place it says why TLS failed (`TLSDiagnosis`).
    let libraryErrors = Mutex([String]())
    /// The TLS files and broker host, to explain a TLS failure (`TLSDiagnosis`); nil without TLS.
    let tls: (files: MQTTConfiguration.TLS, host: String)?
    /// The disconnect callback already reported this attempt's failure (a TLS connection the
    /// broker closed before accepting it); the network loop does not report it again.
    let failureReported = Atomic<Bool>(false)
    /// The network loop gave up on a CONNECT the broker never answered and reported that itself:
    /// the socket's close is not reported again as a lost connection.
    let attemptAbandoned = Atomic<Bool>(false)

    /// Whether the network thread should read the socket now.
    var wantsToRead: Bool {
        guard let sink, sessionUp.load(ordering: .relaxed) else { return true }
        return sink.acceptsMore
    }

    init(queue: EventQueue, sink: (any MQTTMessageSink)?, logger: Logger?, tls: (files: MQTTConfiguration.TLS, host: String)? = nil) {
        self.queue = queue
        self.sink = sink
        self.logger = logger
        self.tls = tls
    }

    /// The error for a failed attempt (`rc`), with the TLS cause when libmosquitto's log told
    /// one (its error lines are used up). `closedEarly`: the broker closed the connection before
    /// accepting it.
    func failure(_ rc: Int32, closedEarly: Bool = false) -> MQTTError {
        var error = MQTTError.library(rc, "connect")
        let lines = libraryErrors.withLock { lines in
            defer { lines.removeAll() }
            return lines
        }
        guard let tls else { return error }
        if let cause = TLSDiagnosis.explain(libraryErrors: lines, tls: tls.files, host: tls.host) {
            error.message = "TLS: \(cause)"
        } else if closedEarly {
            error.message = "TLS: \(TLSDiagnosis.closedBeforeAccepted(tls: tls.files))"
        }
        return error
    }
}
