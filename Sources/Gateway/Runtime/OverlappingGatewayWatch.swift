import MQTT
import Wire

/// Tells, from the other gateways' retained status topics (`gateway/+/status`), when a gateway
/// with another `gateway-id` reads some of the same sensors: a replaced box started before the
/// old one was retired, or two boxes given overlapping `topic-filter`s. Both then publish
/// `cleaned/` for those sensors (the topics carry no gateway id), each with its own view of
/// what is missing, so a consumer sees every reading twice and may see one seq `ok` from one
/// and `synthetic` from the other; both also ask the sensors to resend. Neither could tell
/// (found in review: "two gateways with different ids are not detected").
///
/// An `online` status lists the filters its gateway reads (`topic_filters`); one whose filters
/// overlap this gateway's is such a gateway until its status says `offline` (its stop, or the
/// broker's will when it vanishes), is cleared, or no longer overlaps. A status without
/// `topic_filters` (an earlier build) tells nothing either way.
struct OverlappingGatewayWatch {
    /// What one status message changed.
    enum Change: Equatable {
        /// `gatewayID` reads readings on `filters`, which overlap this gateway's.
        case overlapping(gatewayID: String, filters: [String])
        /// `gatewayID` is offline, cleared, or no longer overlaps.
        case gone(gatewayID: String)
    }

    let gatewayID: String
    let filters: [String]

    /// The change `message` shows, if it is another gateway's status and tells one.
    func change(in message: MQTTMessage) -> Change? {
        guard let other = Topics.gateway(ofStatus: message.topic), other != gatewayID else { return nil }
        // An empty retained message clears the topic: nobody says anything there any more.
        if message.payload.isEmpty { return .gone(gatewayID: other) }
        guard let notice = try? WireJSON.decode(GatewayStatusNotice.self, from: message.payload) else { return nil }
        guard notice.state == .online else { return .gone(gatewayID: other) }
        guard let theirs = notice.topicFilters else { return nil }
        let shared = theirs.filter { t in filters.contains { Topics.filtersOverlap($0, t) } }
        return shared.isEmpty ? .gone(gatewayID: other) : .overlapping(gatewayID: other, filters: shared)
    }
}
