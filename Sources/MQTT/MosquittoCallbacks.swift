import CMosquitto
import Logging
import Synchronization

/// libmosquitto's callbacks. Each recovers the client's `CallbackContext` from `userdata`, copies
/// what it needs out of the C buffers (freed when the callback returns) and pushes an event, or
/// hands a message to the client's sink.
enum MosquittoCallbacks {
    static func install(on mosq: OpaquePointer, forwardingLog: Bool) {
        if forwardingLog {
            mosquitto_log_callback_set(mosq) { _, userdata, level, text in
                guard let text, let logger = MosquittoCallbacks.context(userdata).logger else { return }
                logger.log(level: MosquittoCallbacks.logLevel(level), "\(String(cString: text))", metadata: ["source": "libmosquitto"])
            }
        }
        mosquitto_connect_with_flags_callback_set(mosq) { _, userdata, rc, flags in
            let queue = MosquittoCallbacks.queue(userdata)
            if rc == 0 {
                MosquittoCallbacks.context(userdata).sessionUp.store(true, ordering: .relaxed)
                queue.noteAccepted()
                queue.push(.connected(sessionPresent: flags & 1 != 0))
            } else {
                queue.push(.connectFailed(.refused(connack: rc)))
            }
        }
        mosquitto_disconnect_callback_set(mosq) { _, userdata, rc in
            MosquittoCallbacks.context(userdata).sessionUp.store(false, ordering: .relaxed)
            let reason = rc == 0 ? "client disconnected" : MQTTError.describe(rc)
            MosquittoCallbacks.queue(userdata).push(.disconnected(reason: reason, expected: rc == 0))
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
        mosquitto_publish_callback_set(mosq) { _, userdata, mid in
            let context = MosquittoCallbacks.context(userdata)
            context.unacknowledged.withLock { _ = $0.remove(mid) }
            context.queue.push(.published(messageID: MessageID(mid)))
        }
        mosquitto_subscribe_callback_set(mosq) { _, userdata, mid, count, granted in
            // 0x80 in MQTT 3.1.1; MQTT 5's reason codes for a refusal are 0x80 and above (0x87: not authorised).
            let refused = (0..<Int(max(count, 0))).contains { (granted?[$0] ?? 0) >= 0x80 }
            MosquittoCallbacks.queue(userdata).push(refused ? .subscriptionRefused(messageID: MessageID(mid)) : .subscribed(messageID: MessageID(mid)))
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
