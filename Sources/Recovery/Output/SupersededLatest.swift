/// Which queued `latest/` values a later one replaces, for the queues that send journaled
/// publications again after a restart or a reconnection (the gateway's `OutboundQueue`, the
/// fault simulator's `SimOutbound`).
///
/// Sent again in journal order, an older value would replace, until the newer one came again, a
/// newer one the broker had already retained (its acknowledgement lost with the connection): the
/// retained last value would step back. Only the newest queued value of each topic need go; the
/// others count as acknowledged.
public enum SupersededLatest {
    /// `entries` (in journal order) without the `latest/` publications a later entry for the same
    /// topic replaces.
    public static func dropped<Entry>(from entries: [Entry], publication: (Entry) -> Publication) -> [Entry] {
        var newest: [String: Int] = [:]
        for (i, e) in entries.enumerated() where publication(e).kind == .latest { newest[publication(e).topic] = i }
        guard !newest.isEmpty else { return entries }
        return entries.enumerated().filter { i, e in
            let p = publication(e)
            return p.kind != .latest || newest[p.topic] == i
        }.map(\.element)
    }
}
