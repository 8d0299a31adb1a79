import Wire

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
    /// topic replaces, or one of `then` (publications that go out after all of them: a restart's
    /// regenerated ones, say, when damage destroyed the record of a newer value already sent), or
    /// that are older than `floor` says their topic's value already is (`RecoveryEngine.latestTimes`
    /// at a restart: the record of a newer value sent may be destroyed, with nothing to replace it).
    public static func dropped<Entry>(
        from entries: [Entry], then: [Publication] = [], floor: [String: Int64] = [:], publication: (Entry) -> Publication
    ) -> [Entry] {
        var newest: [String: Int] = [:]
        for (i, e) in entries.enumerated() where publication(e).kind == .latest { newest[publication(e).topic] = i }
        guard !newest.isEmpty else { return entries }
        for p in then where p.kind == .latest { newest[p.topic] = entries.count }
        return entries.enumerated().filter { i, e in
            let p = publication(e)
            return p.kind != .latest || (newest[p.topic] == i && !isBelow(floor, p))
        }.map(\.element)
    }

    /// Whether `p`, a `latest/` value, is older than `floor` holds for its topic.
    private static func isBelow(_ floor: [String: Int64], _ p: Publication) -> Bool {
        guard !floor.isEmpty, let newest = floor[p.topic] else { return false }
        let ts = p.released?.ts ?? (try? WireJSON.decode(CleanedReading.self, from: p.payload))?.ts
        guard let ts else { return false }
        return ts < newest
    }
}
