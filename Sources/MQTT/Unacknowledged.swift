/// How many of the client's QoS 1/2 publications the broker has not acknowledged yet (those
/// libmosquitto still holds, queued ones included): what a publisher paces itself by and what
/// `disconnect()` lets finish. A count, not a registry of ids: which publication an
/// acknowledgement ends is the publisher's business (the gateway's `OutboundQueue`).
///
/// Ids are kept only for QoS 0 publications not yet written, because libmosquitto calls the same
/// publish callback, with nothing but the message id, when it has written a QoS 0 message and
/// when the broker acknowledged a QoS 1/2 one: only the id tells the two apart. The gateway
/// publishes nothing at QoS 0, so there this set stays empty.
struct Unacknowledged {
    private(set) var count = 0
    private var unwrittenAtMostOnce: Set<Int32> = []

    /// libmosquitto took publication `mid` (queued, or kept for the next connection).
    mutating func published(_ mid: Int32, qos: QoS) {
        if qos == .atMostOnce {
            unwrittenAtMostOnce.insert(mid)
        } else {
            count += 1
        }
    }

    /// libmosquitto's publish callback for `mid`: a QoS 0 message written, or else an
    /// acknowledgement.
    mutating func publishCallback(_ mid: Int32) {
        if unwrittenAtMostOnce.remove(mid) == nil { count = max(0, count - 1) }
    }

    /// The connection ended: libmosquitto drops the QoS 0 packets it had not written (no callback
    /// follows for them), and keeps QoS 1/2 messages to send again.
    mutating func connectionLost() {
        unwrittenAtMostOnce.removeAll()
    }
}
