// Over 250 lines: the network thread's loop and the public API share the private handle, context
// and wake-up pipe; the callbacks, events and errors are in their own files.

import CMosquitto
import Foundation
import Synchronization
import Waiting

#if canImport(Glibc)
    import Glibc
#endif

/// An MQTT 3.1.1 client over libmosquitto (MQTT 5 when it must cap the packets it receives:
/// `MQTTConfiguration.maximumInboundPacketBytes`), safe to share between tasks.
///
/// `start()` begins connecting and keeps the connection up on a network thread of its own,
/// reconnecting with exponential backoff after any failure, the first attempt included. What
/// happens arrives through `nextEvents()`. Publishing and subscribing may be done from any task;
/// call `disconnect()` to stop (the network thread keeps the client alive until then).
///
/// The network thread drives the socket itself (`poll`, then libmosquitto's `loop_read`,
/// `loop_write` and `loop_misc`), so that a `MQTTMessageSink` can stop it reading while its
/// owner is behind: TCP then pushes back and the broker's session holds the backlog, while our
/// publications, their acknowledgements and keepalive carry on.
public final class MQTTClient: Sendable {
    public let configuration: MQTTConfiguration
    private let handle: MosquittoHandle
    private let context: CallbackContext
    private var queue: EventQueue { context.queue }
    private let running = Mutex(false)
    private let stopRequested = Atomic<Bool>(false)
    /// Wakes the network thread's `poll` when another thread queued something to send.
    private let wakeup: WakeupPipe
    /// From `start()` until the network thread has ended (`context.changed` is broadcast then).
    private let threadRunning = Atomic<Bool>(false)
    /// `restartSession()` asked for the connection to be ended and made again.
    private let restartRequested = Atomic<Bool>(false)

    private static let libraryInit: Void = { mosquitto_lib_init() }()
    /// Reads of the socket in one turn of the network loop, at most.
    static let readsPerTurn = 64

    /// Creates the client and applies credentials, TLS and will. Nothing is sent until `start()`.
    /// With a `sink`, inbound messages go to it on the network thread (see `MQTTMessageSink`).
    /// With `onEvents`, events go to that handler on the network thread, in order, a batch per
    /// turn of its loop, instead of to `nextEvents()` (and `connect()`, which waits on those):
    /// for an owner with a thread of its own to wake, a task on the cooperative pool woken for
    /// every batch is pure cost. The handler must not block or await.
    public init(
        _ configuration: MQTTConfiguration, sink: (any MQTTMessageSink)? = nil,
        onEvents: (@Sendable ([MQTTEvent]) -> Void)? = nil
    ) throws(MQTTError) {
        _ = MQTTClient.libraryInit
        self.configuration = configuration
        context = CallbackContext(
            queue: EventQueue(forward: onEvents), sink: sink, logger: configuration.libraryLogger,
            tls: configuration.tls.map { ($0, configuration.host) })
        guard let pipe = WakeupPipe() else {
            throw MQTTError(code: MOSQ_ERR_ERRNO.rawValue, operation: "pipe", message: "cannot create the network thread's wake-up pipe")
        }
        wakeup = pipe
        sink?.onChange { [pipe] in pipe.signal() }
        let userdata = Unmanaged.passUnretained(context).toOpaque()
        guard let mosq = mosquitto_new(configuration.clientID, configuration.cleanSession, userdata) else {
            throw MQTTError(
                code: MOSQ_ERR_NOMEM.rawValue, operation: "mosquitto_new",
                message: "could not create a client (out of memory or invalid client id)")
        }
        handle = MosquittoHandle(pointer: mosq)
        MosquittoCallbacks.install(on: mosq)
        let version = configuration.maximumInboundPacketBytes == nil ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5
        try MQTTError.check(mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, Int32(version)), "protocol")
        try MQTTError.check(mosquitto_max_inflight_messages_set(mosq, configuration.maxInflightMessages), "max inflight")
        if configuration.tcpNoDelay {
            try MQTTError.check(mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1), "TCP_NODELAY")
        }
        if configuration.username != nil || configuration.password != nil {
            try MQTTError.check(mosquitto_username_pw_set(mosq, configuration.username, configuration.password), "credentials")
        }
        if let tls = configuration.tls {
            try MQTTError.check(mosquitto_tls_set(mosq, tls.caFile, nil, tls.certFile, tls.keyFile, nil), "TLS setup")
        }
        if let will = configuration.will {
            let rc = will.payload.withUnsafeBytes { bytes in
                mosquitto_will_set(mosq, will.topic, Int32(bytes.count), bytes.baseAddress, will.qos.rawValue, will.retain)
            }
            try MQTTError.check(rc, "will")
        }
    }

    /// Starts the network thread, which connects and keeps the connection up. Every failed
    /// attempt is reported as `.connectFailed` and retried with backoff, including failures
    /// libmosquitto treats as fatal (a TLS handshake refused, say), which would otherwise end
    /// its own loop for good. Only a misconfiguration throws.
    public func start() throws(MQTTError) {
        let alreadyRunning = running.withLock { r in
            defer { r = true }
            return r
        }
        guard !alreadyRunning else { return }
        try MQTTError.check(mosquitto_threaded_set(handle.pointer, true), "threaded mode")
        stopRequested.store(false, ordering: .sequentiallyConsistent)
        threadRunning.store(true, ordering: .sequentiallyConsistent)
        let thread = Thread { [self] in
            networkLoop()
            threadRunning.store(false, ordering: .sequentiallyConsistent)
            context.changed.broadcast()
        }
        thread.name = "mosquitto network"
        thread.start()
    }

    private var stopping: Bool { stopRequested.load(ordering: .sequentiallyConsistent) }

    /// Connects, then runs the connection in short steps; after any failure (a refused or
    /// lost connection, a TLS or protocol error) it waits with exponential backoff and tries
    /// again, until asked to stop. The backoff starts over once the broker accepts a connection.
    private func networkLoop() {
        let h = handle.pointer
        var delay = Double(configuration.reconnectDelayMin)
        var socketUp = false
        var everConnected = false
        // With TLS, libmosquitto's log is watched while connecting: it alone says why TLS failed.
        // It is forwarded while the library logger's level is debug or lower, which a reload can
        // change (found black-box, 67th review: a reload to debug forwarded nothing, as it
        // followed the starting level).
        var (watching, callbackOn) = (false, false)
        func syncLogCallback() {
            let forwarding = configuration.libraryLogger.map { $0.logLevel <= .debug } ?? false
            if forwarding != context.forwardingLog.load(ordering: .relaxed) { context.forwardingLog.store(forwarding, ordering: .relaxed) }
            guard (watching || forwarding) != callbackOn else { return }
            callbackOn.toggle()
            MosquittoCallbacks.setLogCallback(on: h, callbackOn)
        }
        func watchLog(_ on: Bool) {
            guard configuration.tls != nil else { return }
            watching = on
            syncLogCallback()
        }
        func backoff() {
            queue.deliver()
            // Ended early by `disconnect()`; on the monotonic clock, so a wall-clock step does not
            // lengthen it.
            context.changed.wait(atMost: Int64(delay * 1000)) { stopping }
            delay = min(delay * 2, Double(configuration.reconnectDelayMax))
        }
        // When `restartSession()` asked: the DISCONNECT waits (this long at most) until what
        // we published is acknowledged, so nothing of the old session is sent again in the new.
        var restartBy: ContinuousClock.Instant?
        // When the CONNECT on the socket just opened must have been answered: a broker that
        // accepts TCP and never sends CONNACK fails the attempt then, saying so, instead of
        // holding it for the keepalive interval.
        var connackDue: ContinuousClock.Instant?
        while !stopping {
            syncLogCallback()
            if !socketUp {
                watchLog(true)
                if let will = configuration.willForConnect?() {
                    // Set here, on the thread that connects: libmosquitto reads it for the CONNECT.
                    let set = will.payload.withUnsafeBytes { bytes in
                        mosquitto_will_set(h, will.topic, Int32(bytes.count), bytes.baseAddress, will.qos.rawValue, will.retain)
                    }
                    if set != MOSQ_ERR_SUCCESS.rawValue {
                        queue.push(.connectFailed(context.failure(set)))
                        backoff()
                        continue
                    }
                }
                context.attemptAbandoned.store(false, ordering: .relaxed)
                context.failureReported.store(false, ordering: .relaxed)
                // A reconnection sends the first connection's CONNECT properties again.
                let rc = everConnected ? mosquitto_reconnect(h) : firstConnect(h)
                if rc != MOSQ_ERR_SUCCESS.rawValue {
                    queue.push(.connectFailed(context.failure(rc)))
                    backoff()
                    continue
                }
                socketUp = true
                connackDue = .now + .seconds(configuration.connackTimeoutSeconds)
                everConnected = true
                restartRequested.store(false, ordering: .sequentiallyConsistent)  // a new session already
            }
            let rc = step(h, reading: context.wantsToRead)
            queue.deliver()
            if context.sessionUp.load(ordering: .relaxed) { connackDue = nil }
            if rc == MOSQ_ERR_SUCCESS.rawValue, let due = connackDue, ContinuousClock.now >= due {
                // Reported here; the close that follows is not reported again as a lost connection.
                connackDue = nil
                context.attemptAbandoned.store(true, ordering: .relaxed)
                queue.push(.connectFailed(.unanswered(afterSeconds: configuration.connackTimeoutSeconds, host: configuration.host, port: configuration.port)))
                shutdown(mosquitto_socket(h), Int32(SHUT_RDWR))
            }
            if queue.takeAccepted() {
                delay = Double(configuration.reconnectDelayMin)
                watchLog(false)
                context.libraryErrors.withLock { $0.removeAll() }
            }
            if restartRequested.exchange(false, ordering: .sequentiallyConsistent) { restartBy = .now + .seconds(2) }
            if rc == MOSQ_ERR_SUCCESS.rawValue, let by = restartBy,
                context.unacknowledged.withLock({ $0.count == 0 }) || ContinuousClock.now >= by
            {
                // A clean DISCONNECT (the broker discards the will); the turns that follow send
                // it and find the connection closed, and the loop connects again after the
                // shortest backoff, with a will made anew.
                restartBy = nil
                _ = mosquitto_disconnect(h)
            }
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                socketUp = false
                restartBy = nil
                connackDue = nil
                if stopping { break }
                // A lost connection was reported by the disconnect callback; report the rest.
                let reported = context.failureReported.exchange(false, ordering: .relaxed)
                if rc != MOSQ_ERR_CONN_LOST.rawValue && rc != MOSQ_ERR_NO_CONN.rawValue && !reported {
                    queue.push(.connectFailed(context.failure(rc)))
                }
                backoff()
            }
        }
        // Let a DISCONNECT queued by `disconnect()` (and anything before it) go out. Reading
        // goes on meanwhile: closing a socket with unread bytes (the broker's acknowledgements)
        // makes the kernel reset the connection, and the broker then drops what it had not yet
        // read of ours. A sink that takes no more input is respected even so: a message read
        // now would be acknowledged and then have nowhere to go (the broker redelivers what
        // it has no acknowledgement for).
        let deadline = ContinuousClock.now + .seconds(1)
        while socketUp && mosquitto_socket(h) >= 0 && ContinuousClock.now < deadline {
            if step(h, reading: context.sink?.acceptsMore ?? true) != MOSQ_ERR_SUCCESS.rawValue { break }
        }
        queue.deliver()
    }

    /// The first CONNECT: MQTT 5 with the packet-size cap (and a session that does not expire
    /// unless asked to be clean) when the configuration caps inbound packets.
    private func firstConnect(_ h: OpaquePointer) -> Int32 {
        guard let cap = configuration.maximumInboundPacketBytes else {
            return mosquitto_connect(h, configuration.host, configuration.port, configuration.keepAliveSeconds)
        }
        var properties: OpaquePointer?
        defer { mosquitto_property_free_all(&properties) }
        var rc = mosquitto_property_add_int32(&properties, Int32(MQTT_PROP_MAXIMUM_PACKET_SIZE.rawValue), cap)
        if rc == MOSQ_ERR_SUCCESS.rawValue && !configuration.cleanSession {
            rc = mosquitto_property_add_int32(&properties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), UInt32.max)
        }
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { return rc }
        return mosquitto_connect_bind_v5(h, configuration.host, configuration.port, configuration.keepAliveSeconds, nil, properties)
    }

    /// One turn of the connection: wait (at most 100 ms, so keepalive is kept) until the socket
    /// is readable (when `reading`), writable (when something is queued) or another thread
    /// queued a packet; then read, write and run keepalive. Returns libmosquitto's code.
    private func step(_ h: OpaquePointer, reading: Bool) -> Int32 {
        let socket = mosquitto_socket(h)
        guard socket >= 0 else { return MOSQ_ERR_NO_CONN.rawValue }
        var events = Int16(0)
        if reading { events |= Int16(POLLIN) }
        if mosquitto_want_write(h) { events |= Int16(POLLOUT) }
        var fds = [pollfd(fd: socket, events: events, revents: 0), pollfd(fd: wakeup.readEnd, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 2, 100)
        if fds[1].revents != 0 { wakeup.drain() }
        let problem = Int16(POLLHUP) | Int16(POLLERR)
        var rc = MOSQ_ERR_SUCCESS.rawValue
        if reading && fds[0].revents & (Int16(POLLIN) | problem) != 0 {
            // libmosquitto reads about one packet per call when nothing of ours is in flight:
            // read on until the socket runs dry (EAGAIN), within a bound that keeps writes and
            // the sink's pause check going.
            for _ in 0..<MQTTClient.readsPerTurn {
                errno = 0
                rc = mosquitto_loop_read(h, 1)
                let drained = errno == EAGAIN || errno == EWOULDBLOCK
                if rc != MOSQ_ERR_SUCCESS.rawValue || drained || mosquitto_socket(h) < 0 { break }
                if !context.wantsToRead { break }
            }
            if context.acceptedInBurst.exchange(0, ordering: .relaxed) > 0 { context.sink?.endOfBurst() }
        } else if !reading && fds[0].revents & problem != 0 {
            // Paused with a broken socket, which `poll` reports at once: keep the CPU free until
            // reading resumes and finds out. The sink wakes the pipe when it takes input again
            // (`MQTTMessageSink.onChange`), as a publish or `disconnect()` does; else the next
            // keepalive step comes.
            var pipe = pollfd(fd: wakeup.readEnd, events: Int16(POLLIN), revents: 0)
            _ = poll(&pipe, 1, 100)
            if pipe.revents != 0 { wakeup.drain() }
        }
        guard rc == MOSQ_ERR_SUCCESS.rawValue, mosquitto_socket(h) >= 0 else { return rc == MOSQ_ERR_SUCCESS.rawValue ? MOSQ_ERR_CONN_LOST.rawValue : rc }
        if context.sink?.lostAcceptedMessages == true {
            // Nothing queued may leave now: among it are acknowledgements of messages the sink
            // could not keep. Cut the connection so the broker delivers them again.
            shutdown(socket, Int32(SHUT_RDWR))
            return MOSQ_ERR_CONN_LOST.rawValue
        }
        if mosquitto_want_write(h) {
            // libmosquitto writes each queued packet on its own, and with TCP_NODELAY each would
            // be a TCP segment of its own; corked, what queued since the last turn (a burst's
            // acknowledgements, a batch of publications) leaves in as few segments as fit, which
            // the broker then reads in one go. Uncorking sends at once: no packet waits.
            MQTTClient.setCork(socket, true)
            rc = mosquitto_loop_write(h, 1)
            if mosquitto_socket(h) == socket { MQTTClient.setCork(socket, false) }
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { return rc }
        }
        return mosquitto_loop_misc(h)
    }

    private static func setCork(_ socket: Int32, _ on: Bool) {
        var value: Int32 = on ? 1 : 0
        _ = setsockopt(socket, Int32(IPPROTO_TCP), TCP_CORK, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Starts and waits for the first connection attempt's outcome; throws the broker's or the
    /// system's reason when it fails (and stops the client). Meant for tools and tests; a
    /// daemon that must survive an absent broker uses `start()` and watches events instead.
    public func connect() async throws(MQTTError) {
        try start()
        var pending: [MQTTEvent] = []
        while true {
            let batch = await queue.next()
            if batch.isEmpty { throw MQTTError(code: -1, operation: "connect", message: "cancelled") }
            for (index, event) in batch.enumerated() {
                switch event {
                case .connected:
                    pending.append(contentsOf: batch[index...])
                    queue.putBack(pending)
                    return
                case .connectFailed(var error):
                    await disconnect()
                    error.operation = "connect to \(configuration.host):\(configuration.port)"
                    throw error
                case .disconnected(let reason, _):
                    await disconnect()
                    throw MQTTError(code: MOSQ_ERR_CONN_LOST.rawValue, operation: "connect to \(configuration.host):\(configuration.port)", message: reason)
                default:
                    pending.append(event)
                }
            }
        }
    }

    /// Waits for events and returns every one queued since the last call, in order.
    /// Returns an empty array once the client has been disconnected or the task is cancelled.
    public func nextEvents() async -> [MQTTEvent] {
        await queue.next()
    }

    /// Like `nextEvents()`, but returns an empty array once `timeout` passes without an event.
    public func nextEvents(waitingAtMost timeout: Duration) async -> [MQTTEvent] {
        await withTaskGroup(of: [MQTTEvent].self) { group in
            group.addTask { await self.nextEvents() }
            group.addTask {
                // The timeout itself, not a poll: the events end the wait sooner.
                try? await Task.sleep(for: timeout)
                return []
            }
            var events = await group.next() ?? []
            group.cancelAll()
            // The other child may still hand over a batch it had already taken: keep it.
            while let more = await group.next() { events += more }
            return events
        }
    }

    /// Queues a publish and returns its message id; `.published(messageID:)` follows when the
    /// broker acknowledges it (QoS 1 and 2). While disconnected, libmosquitto keeps the message
    /// and sends it after reconnecting.
    @discardableResult
    public func publish(topic: String, payload: [UInt8], qos: QoS = .atLeastOnce, retain: Bool = false) throws(MQTTError) -> MessageID {
        var mid: Int32 = 0
        // Under the lock, so the acknowledgement (on the network thread) cannot come first.
        let rc = context.unacknowledged.withLock { unacknowledged in
            // withCString: a native string's own bytes, where the implicit conversion in this
            // closure copied the topic into a new array for every message.
            let rc = topic.withCString { topic in
                payload.withUnsafeBytes { bytes in
                    mosquitto_publish(handle.pointer, &mid, topic, Int32(bytes.count), bytes.baseAddress, qos.rawValue, retain)
                }
            }
            // MOSQ_ERR_NO_CONN still queued a QoS 1/2 message (not a QoS 0 one).
            if rc == MOSQ_ERR_SUCCESS.rawValue || (rc == MOSQ_ERR_NO_CONN.rawValue && qos != .atMostOnce) {
                unacknowledged.published(mid, qos: qos)
            }
            return rc
        }
        wakeup.signal()
        // MOSQ_ERR_NO_CONN still queued the message (QoS > 0): it goes out on reconnect.
        if rc == MOSQ_ERR_NO_CONN.rawValue && qos != .atMostOnce { return MessageID(mid) }
        try MQTTError.check(rc, "publish to \(topic)")
        return MessageID(mid)
    }

    /// Subscribes; libmosquitto does not resubscribe by itself, so callers subscribe again on
    /// `.connected(sessionPresent: false)` (a persistent session keeps subscriptions otherwise).
    @discardableResult
    public func subscribe(_ filter: String, qos: QoS = .atLeastOnce) throws(MQTTError) -> MessageID {
        var mid: Int32 = 0
        try MQTTError.check(mosquitto_subscribe(handle.pointer, &mid, filter, qos.rawValue), "subscribe to \(filter)")
        wakeup.signal()
        return MessageID(mid)
    }

    /// Unsubscribes `filter`: in a persistent session a subscription outlives the process that
    /// made it, so a filter no longer wanted must be removed explicitly.
    @discardableResult
    public func unsubscribe(_ filter: String) throws(MQTTError) -> MessageID {
        var mid: Int32 = 0
        try MQTTError.check(mosquitto_unsubscribe(handle.pointer, &mid, filter), "unsubscribe from \(filter)")
        wakeup.signal()
        return MessageID(mid)
    }

    /// Ends the connection with a DISCONNECT (so the broker discards the will) once what was
    /// published on it is acknowledged (two seconds at most), then connects again as after a
    /// lost connection, with the will made anew (`MQTTConfiguration.willForConnect`): how a
    /// Sparkplug edge node ends its session when its primary host goes offline, so its next
    /// session has a new `bdSeq` (Sparkplug 3.0 section 5.2). No effect while not connected
    /// (the next connection makes the will anew anyway).
    public func restartSession() {
        restartRequested.store(true, ordering: .sequentiallyConsistent)
        wakeup.signal()
    }

    /// Sends DISCONNECT (the broker then discards the will), stops the network thread and ends
    /// the event stream. Waits up to `timeout` for the thread, on its own thread, off the task
    /// pool (a connection attempt to an unreachable host can block it for longer).
    public func disconnect(timeout: Duration = .seconds(5)) async {
        let wasRunning = running.withLock { r in
            defer { r = false }
            return r
        }
        if wasRunning {
            await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                Thread { [self] in
                    stop(timeout: timeout)
                    finished.resume()
                }.start()
            }
        }
        queue.finish()
    }

    /// `disconnect()` for a caller that may block (start-up, before any task runs): blocks the
    /// calling thread until the network thread has ended, or `timeout`.
    public func disconnectBlocking(timeout: Duration = .seconds(5)) {
        let wasRunning = running.withLock { r in
            defer { r = false }
            return r
        }
        if wasRunning { stop(timeout: timeout) }
        queue.finish()
    }

    /// `disconnect()`'s blocking part, on a thread of its own.
    private func stop(timeout: Duration) {
        let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        // Let our publications be acknowledged first (half the timeout at most): closing with
        // acknowledgements unread makes the kernel reset the connection, and the broker would
        // drop the last of what we sent. Woken by each acknowledgement and by the session's end.
        context.changed.wait(atMost: milliseconds / 2) {
            !context.sessionUp.load(ordering: .relaxed) || context.unacknowledged.withLock { $0.count == 0 }
        }
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        context.changed.broadcast()
        mosquitto_disconnect(handle.pointer)
        wakeup.signal()
        context.changed.wait(atMost: milliseconds) { !threadRunning.load(ordering: .sequentiallyConsistent) }
    }

    /// Our QoS 1/2 publications the broker has not acknowledged yet (queued ones included): a
    /// publisher that must not flood libmosquitto's memory waits while this is high
    /// (`waitForUnacknowledged(below:)`).
    public var unacknowledgedCount: Int { context.unacknowledged.withLock { $0.count } }

    /// Blocks the calling thread (a thread of its own, never a task's) until fewer than `limit`
    /// of our QoS 1/2 publications are unacknowledged: woken by each acknowledgement, no polling.
    /// It waits as long as that takes (across reconnections, libmosquitto sends them again).
    public func waitForUnacknowledged(below limit: Int) {
        context.changed.wait { context.unacknowledged.withLock { $0.count } < limit }
    }

    /// For tests (`@testable import`): closes the TCP socket without DISCONNECT, as a crashed
    /// process would, so the broker publishes the will. The client then reconnects as after any
    /// network failure.
    func dropConnectionWithoutDisconnect() {
        let fd = mosquitto_socket(handle.pointer)
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
    }
}
