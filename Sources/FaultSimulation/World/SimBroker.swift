import DeterministicRandom
import Recovery
import Wire

/// An inbound message as the broker holds it for the gateway's persistent session.
struct InboundMessage {
    var topic: String
    var payload: [UInt8]
    var reading: SimReading
}

/// The network and the broker between the sensors and the gateway.
///
/// Sensor messages travel with delay, loss, duplication and reordering into the broker's
/// persistent-session queue for the gateway (bounded like mosquitto's `max_queued_messages`:
/// new messages are dropped while it is full). The gateway takes messages from it while its
/// input reads; a message it took stays unacknowledged until its PUBACK, and goes back to the
/// front of the queue if the gateway dies first (QoS 1 redelivery). Resend requests travel the
/// other way to the sensors with the same faults. Publications the gateway makes are acknowledged
/// at the next step and handed to the consumers.
struct SimBroker {
    private struct InTransit {
        var at: Int64
        var order: UInt64
        var message: InboundMessage
    }

    private var transit: [InTransit] = []
    private var order: UInt64 = 0
    /// The persistent session's queue for the gateway.
    private(set) var queue: [InboundMessage] = []
    private var queueHead = 0
    /// Taken by the gateway, not yet acknowledged.
    private var unacknowledged: [InboundMessage] = []
    /// Resend requests on their way to sensors: (due, sensor id, request).
    var requests: [(at: Int64, sensorID: String, request: ResendRequest)] = []
    /// Faults the network and the broker injected, by kind.
    private(set) var faults: [FaultKind: Int] = [:]

    var queued: Int { queue.count - queueHead }

    /// A sensor publishes: the message reaches the broker after a delay, or never.
    mutating func send(_ m: SensorMessage, now: Int64, network: NetworkProfile, faulty: Bool, rng: inout SplitMix64) {
        if faulty && rng.chance(network.loss) {
            faults[.messageLost, default: 0] += 1
            return
        }
        var copies = 1
        if faulty && rng.chance(network.duplicate) {
            copies = 2
            faults[.messageDuplicated, default: 0] += 1
        }
        for _ in 0..<copies {
            var delay = rng.int64(network.delayMs)
            if faulty && rng.chance(network.reorder) {
                delay += rng.int64(network.reorderDelayMs)
                faults[.messageDelayed, default: 0] += 1
            }
            order += 1
            transit.append(InTransit(at: now + delay, order: order, message: InboundMessage(topic: m.topic, payload: m.payload, reading: m.reading)))
        }
    }

    /// Moves what has arrived into the session queue (dropping what does not fit).
    mutating func deliver(now: Int64, limit: Int) {
        guard transit.contains(where: { $0.at <= now }) else { return }
        let arrived = transit.filter { $0.at <= now }.sorted { ($0.at, $0.order) < ($1.at, $1.order) }
        transit.removeAll { $0.at <= now }
        for a in arrived {
            if queued >= limit {
                faults[.brokerQueueFull, default: 0] += 1
                continue
            }
            queue.append(a.message)
        }
    }

    /// The gateway's input reads up to `count` messages.
    mutating func take(_ count: Int) -> [InboundMessage] {
        let n = min(count, queued)
        let taken = Array(queue[queueHead..<(queueHead + n)])
        queueHead += n
        if queueHead > 4096 {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        unacknowledged += taken
        return taken
    }

    /// The gateway's PUBACKs for everything it took.
    mutating func acknowledgeAll() { unacknowledged.removeAll() }

    /// The gateway died: what it took without acknowledging is delivered again, first.
    mutating func redeliverUnacknowledged() {
        guard !unacknowledged.isEmpty else { return }
        queue.replaceSubrange(0..<queueHead, with: [])
        queueHead = 0
        queue.insert(contentsOf: unacknowledged, at: 0)
        unacknowledged.removeAll()
    }

    /// A resend request published by the gateway travels to its sensor (or is lost).
    mutating func route(request: ResendRequest, to sensorID: String, now: Int64, network: NetworkProfile, faulty: Bool, rng: inout SplitMix64) {
        if faulty && rng.chance(network.loss) {
            faults[.messageLost, default: 0] += 1
            return
        }
        requests.append((now + rng.int64(network.delayMs), sensorID, request))
    }

    /// Requests due at `now`, in order.
    mutating func dueRequests(now: Int64) -> [(sensorID: String, request: ResendRequest)] {
        guard requests.contains(where: { $0.at <= now }) else { return [] }
        let due = requests.filter { $0.at <= now }.map { ($0.sensorID, $0.request) }
        requests.removeAll { $0.at <= now }
        return due
    }
}
