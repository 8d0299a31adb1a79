import CMosquitto
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An MQTT 3.1.1 client over libmosquitto, safe to share between tasks.
///
/// `start()` begins connecting and keeps the connection up on libmosquitto's own network
/// thread, reconnecting with exponential backoff, also when the first attempt fails. What
/// happens arrives through `nextEvents()`. Publishing and subscribing may be done from any task.
public final class MQTTClient: Sendable {
    public let configuration: MQTTConfiguration
    private let handle: MosquittoHandle
    private let queue = EventQueue()
    private let running = Mutex(false)

    private static let libraryInit: Void = { mosquitto_lib_init() }()

    /// Creates the client and applies credentials, TLS and will. Nothing is sent until `start()`.
    public init(_ configuration: MQTTConfiguration) throws(MQTTError) {
        _ = MQTTClient.libraryInit
        self.configuration = configuration
        let userdata = Unmanaged.passUnretained(queue).toOpaque()
        guard let mosq = mosquitto_new(configuration.clientID, configuration.cleanSession, userdata) else {
            throw MQTTError(code: MOSQ_ERR_NOMEM.rawValue, operation: "mosquitto_new",
                            message: "could not create a client (out of memory or invalid client id)")
        }
        handle = MosquittoHandle(pointer: mosq)
        MosquittoCallbacks.install(on: mosq)
        try MQTTError.check(mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, Int32(MQTT_PROTOCOL_V311)), "protocol")
        try MQTTError.check(mosquitto_max_inflight_messages_set(mosq, configuration.maxInflightMessages), "max inflight")
        try MQTTError.check(
            mosquitto_reconnect_delay_set(mosq, configuration.reconnectDelayMin, configuration.reconnectDelayMax, true),
            "reconnect delay")
        if configuration.username != nil || configuration.password != nil {
            try MQTTError.check(mosquitto_username_pw_set(mosq, configuration.username, configuration.password), "credentials")
        }
        if let tls = configuration.tls {
            try MQTTError.check(mosquitto_tls_set(mosq, tls.caFile, nil, tls.certFile, tls.keyFile, nil), "TLS setup")
        }
        if let will = configuration.will {
            let rc = will.payload.withUnsafeBytes { bytes in
                mosquitto_will_set(mosq, will.topic, Int32(bytes.count), bytes.baseAddress, will.qos, will.retain)
            }
            try MQTTError.check(rc, "will")
        }
    }

    deinit {
        if running.withLock({ $0 }) {
            mosquitto_disconnect(handle.pointer)
            mosquitto_loop_stop(handle.pointer, false)
        }
    }

    /// Starts the network thread and the first connection attempt. A failed attempt is reported
    /// as `.connectFailed` and retried with backoff; only a misconfiguration throws.
    public func start() throws(MQTTError) {
        let alreadyRunning = running.withLock { r in
            defer { r = true }
            return r
        }
        guard !alreadyRunning else { return }
        let rc = mosquitto_connect_async(handle.pointer, configuration.host, configuration.port,
                                         configuration.keepAliveSeconds)
        if rc == MOSQ_ERR_INVAL.rawValue || rc == MOSQ_ERR_NOMEM.rawValue {
            running.withLock { $0 = false }
            try MQTTError.check(rc, "connect")
        }
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            queue.push(.connectFailed(reason: MQTTError.describe(rc)))
        }
        let loop = mosquitto_loop_start(handle.pointer)
        if loop != MOSQ_ERR_SUCCESS.rawValue {
            running.withLock { $0 = false }
            try MQTTError.check(loop, "network thread start")
        }
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
                    requeue(pending)
                    return
                case .connectFailed(let reason), .disconnected(let reason, _):
                    await disconnect()
                    throw MQTTError(code: MOSQ_ERR_CONN_REFUSED.rawValue, operation: "connect to \(configuration.host):\(configuration.port)", message: reason)
                default:
                    pending.append(event)
                }
            }
        }
    }

    private func requeue(_ events: [MQTTEvent]) {
        for event in events { queue.push(event) }
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
    public func publish(topic: String, payload: [UInt8], qos: Int32 = 1, retain: Bool = false) throws(MQTTError) -> Int32 {
        var mid: Int32 = 0
        let rc = payload.withUnsafeBytes { bytes in
            mosquitto_publish(handle.pointer, &mid, topic, Int32(bytes.count), bytes.baseAddress, qos, retain)
        }
        // MOSQ_ERR_NO_CONN still queued the message (QoS > 0): it goes out on reconnect.
        if rc == MOSQ_ERR_NO_CONN.rawValue && qos > 0 { return mid }
        try MQTTError.check(rc, "publish to \(topic)")
        return mid
    }

    /// Subscribes; libmosquitto does not resubscribe by itself, so callers subscribe again on
    /// `.connected(sessionPresent: false)` (a persistent session keeps subscriptions otherwise).
    @discardableResult
    public func subscribe(_ filter: String, qos: Int32 = 1) throws(MQTTError) -> Int32 {
        var mid: Int32 = 0
        try MQTTError.check(mosquitto_subscribe(handle.pointer, &mid, filter, qos), "subscribe to \(filter)")
        return mid
    }

    /// Sends DISCONNECT (the broker then discards the will), stops the network thread and ends
    /// the event stream. The blocking thread join runs on its own thread, off the task pool.
    public func disconnect() async {
        let wasRunning = running.withLock { r in
            defer { r = false }
            return r
        }
        if wasRunning {
            let handle = self.handle
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    mosquitto_disconnect(handle.pointer)
                    mosquitto_loop_stop(handle.pointer, false)
                    done.resume()
                }
                thread.start()
            }
        }
        queue.finish()
    }

    /// Test hook: closes the TCP socket without DISCONNECT, as a crashed process would, so the
    /// broker publishes the will. The client then reconnects as after any network failure.
    public func dropConnectionWithoutDisconnect() {
        let fd = mosquitto_socket(handle.pointer)
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
    }
}
