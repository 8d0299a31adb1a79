/// Notices a connection the broker keeps closing within seconds of accepting it, the mark of
/// another client with the same client id: a second gateway with this `gateway-id` (or
/// `client-id`), a cloned box. The broker then hands the connection from one to the other at
/// each reconnection, and mosquitto 2.0 closes the old one without a reason the client could
/// read, so all the gateway saw was "the connection was lost" (found black-box).
struct ConnectionChurn {
    /// A connection that lasted less than this (ms) counts as closed right after it was accepted.
    static let shortLivedMs: Int64 = 5_000
    /// Short-lived connections in a row before it is said.
    static let inARow = 3

    private var acceptedAt: [Inbox.Source: Int64] = [:]
    private var shortInARow: [Inbox.Source: Int] = [:]

    /// The broker accepted `source`'s connection at monotonic ms `now`.
    mutating func accepted(_ source: Inbox.Source, now: Int64) { acceptedAt[source] = now }

    /// `source`'s connection was lost at `now`: returns how many in a row were short-lived when
    /// that makes `inARow` (and each further `inARow`), so it is said once per run of them.
    mutating func lost(_ source: Inbox.Source, now: Int64) -> Int? {
        guard let at = acceptedAt.removeValue(forKey: source) else { return nil }
        guard now - at < Self.shortLivedMs else {
            shortInARow[source] = 0
            return nil
        }
        let count = (shortInARow[source] ?? 0) + 1
        shortInARow[source] = count
        return count.isMultiple(of: Self.inARow) ? count : nil
    }
}
