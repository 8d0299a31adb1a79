import Foundation
import MQTT
import Synchronization
import Wire

/// Resend requests received from the gateway, collected on the client's event task.
final class ResendInbox: Sendable {
    private let pending = Mutex<[(sensor: String, request: ResendRequest)]>([])

    /// Collects resend requests until the client stops, subscribing to them on every connection:
    /// a broker that restarted without the session (no persistence, or a clean start) has
    /// forgotten the subscription, and libmosquitto does not make it again (found black-box: the
    /// simulator stopped answering resend requests after a broker restart).
    func pump(_ client: MQTTClient) async {
        while !Task.isCancelled {
            let events = await client.nextEvents()
            if events.isEmpty { return }
            for event in events {
                if case .connected = event {
                    do { try client.subscribe(Topics.resendFilter, qos: .atLeastOnce) } catch {
                        FileHandle.standardError.write(Data("sensor-sim: cannot subscribe to resend requests: \(error)\n".utf8))
                    }
                }
                guard case .message(let m) = event, let sensor = Topics.sensor(ofResend: m.topic),
                    let request = try? WireJSON.decode(ResendRequest.self, from: m.payload)
                else { continue }
                pending.withLock { $0.append((sensor, request)) }
            }
        }
    }

    func take() -> [(sensor: String, request: ResendRequest)] {
        pending.withLock { p in
            defer { p.removeAll() }
            return p
        }
    }
}
