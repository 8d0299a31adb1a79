import CMosquitto
import Logging
import Synchronization

/// libmosquitto's callbacks. Each recovers the client's `CallbackContext` from `userdata`, copies
/// what it needs out of the C buffers (freed when the callback returns) and pushes an event, or
/// hands a message to the client's sink.
enum MosquittoCallbacks {
    static func install(on mosq: OpaquePointer) {
        mosquitto_connect_with_flags_callback_set(mosq) { _, userdata, rc, flags in
            let queue = MosquittoCallbacks.queue(userdata)
            if rc == 0 {
                MosquittoCallbacks.context(userdata).sessionUp.store(true, ordering: .relaxed)
                queue.noteAccepted()
                queue.push(.connected(sessionPresent: flags & 1 != 0))
            } else {
                // The close that follows (libmosquitto's protocol error for an MQTT 5 refusal)
                // is this attempt's end, not news: reported once, as the refusal (it logged
                // three lines a try, two of them "a network protocol error").
                let context = MosquittoCallbacks.context(userdata)
                context.attemptAbandoned.store(true, ordering: .relaxed)
                context.failureReported.store(true, ordering: .relaxed)
                queue.push(.connectFailed(.refused(connack: rc)))
            }
        }
        mosquitto_disconnect_callback_set(mosq) { _, userdata, rc in
            let context = MosquittoCallbacks.context(userdata)
            let wasUp = context.sessionUp.exchange(false, ordering: .relaxed)
            context.unacknowledged.withLock { $0.connectionLost() }
            context.changed.broadcast()
            if !wasUp && context.attemptAbandoned.exchange(false, ordering: .relaxed) { return }
            // With TLS, a connection closed before the broker accepted it is a failed attempt
            // (a client certificate refused, say): reported as one, with the cause.
            if rc != 0 && !wasUp && context.tls != nil {
                context.failureReported.store(true, ordering: .relaxed)
                context.queue.push(.connectFailed(context.failure(rc, closedEarly: true)))
                return
            }
            let reason = rc == 0 ? "client disconnected" : MQTTError.describe(rc)
            context.queue.push(.disconnected(reason: reason, expected: rc == 0))
        }
        mosquitto_message_callback_set(mosq) { _, userdata, message in
            guard let message else { return }
            let m = message.pointee
            let topic = m.topic.map { String(cString: $0) } ?? ""
            let count = Int(m.payloadlen)
            let context = MosquittoCallbacks.context(userdata)
            if let sink = context.sink {
                let raw = UnsafeRawBufferPointer(start: m.payload, count: m.payload == nil ? 0 : max(count, 0))
                if sink.accept(topic: topic, payload: raw) {
                    context.acceptedInBurst.add(1, ordering: .relaxed)
                    return
                }
            }
            let payload: [UInt8]
            if let raw = m.payload, count > 0 {
                payload = Array(UnsafeRawBufferPointer(start: raw, count: count))
            } else {
                payload = []
            }
            MosquittoCallbacks.queue(userdata).push(
                .message(MQTTMessage(topic: topic, payload: payload, qos: QoS(rawValue: m.qos) ?? .atMostOnce, retain: m.retain)))
        }
        // The v5 form, for the reason code (0 over MQTT 3.1.1).
        mosquitto_publish_v5_callback_set(mosq) { _, userdata, mid, reasonCode, _ in
            let context = MosquittoCallbacks.context(userdata)
            context.unacknowledged.withLock { $0.publishCallback(mid) }
            context.changed.broadcast()
            if reasonCode >= 0x80 {
                let reason = mosquitto_reason_string(reasonCode).map { String(cString: $0) } ?? "reason code \(reasonCode)"
                context.queue.push(.publishRefused(messageID: MessageID(mid), reasonCode: reasonCode, reason: reason))
            }
            context.queue.push(.published(messageID: MessageID(mid)))
        }
        mosquitto_subscribe_callback_set(mosq) { _, userdata, mid, count, granted in
            // 0x80 in MQTT 3.1.1; MQTT 5's reason codes for a refusal are 0x80 and above (0x87: not authorised).
            let refused = (0..<Int(max(count, 0))).contains { (granted?[$0] ?? 0) >= 0x80 }
            MosquittoCallbacks.queue(userdata).push(refused ? .subscriptionRefused(messageID: MessageID(mid)) : .subscribed(messageID: MessageID(mid)))
        }
    }

    /// Sets or clears the log callback. With it set, libmosquitto formats every line it logs
    /// (one per packet at debug), so it is set only while forwarding the library's log, or while
    /// connecting with TLS, to catch why a handshake failed. Error lines are kept (the last 8)
    /// in `CallbackContext.libraryErrors`.
    static func setLogCallback(on mosq: OpaquePointer, _ on: Bool) {
        guard on else {
            mosquitto_log_callback_set(mosq, nil)
            return
        }
        mosquitto_log_callback_set(mosq) { _, userdata, level, text in
            guard let text else { return }
            let context = MosquittoCallbacks.context(userdata)
            let line = String(cString: text)
            if level == MOSQ_LOG_ERR {
                context.libraryErrors.withLock { lines in
                    lines.append(line)
                    if lines.count > 8 { lines.removeFirst(lines.count - 8) }
                }
            }
            if context.forwardingLog.load(ordering: .relaxed) {
                context.logger?.log(level: MosquittoCallbacks.logLevel(level), "\(line)", metadata: ["source": "libmosquitto"])
            }
        }
    }

    /// libmosquitto's MOSQ_LOG_* levels as swift-log's.
    static func logLevel(_ mosquittoLevel: Int32) -> Logger.Level {
        switch mosquittoLevel {
        case MOSQ_LOG_ERR: .error
        case MOSQ_LOG_WARNING: .warning
        case MOSQ_LOG_NOTICE: .notice
        case MOSQ_LOG_INFO: .info
        default: .debug
        }
    }

    private static func context(_ userdata: UnsafeMutableRawPointer?) -> CallbackContext {
        Unmanaged<CallbackContext>.fromOpaque(userdata!).takeUnretainedValue()
    }

    private static func queue(_ userdata: UnsafeMutableRawPointer?) -> EventQueue {
        context(userdata).queue
    }
}
