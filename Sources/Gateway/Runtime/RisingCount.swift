/// An engine count the gateway looks at after each turn, to report when it rises: the count
/// restored at start is not news (the start's own report said it), so the first look only
/// remembers it.
struct RisingCount: Sendable, Equatable {
    /// The count when last looked at (nil before the first look).
    private(set) var seen: Int?
    /// The count when a rise was last reported (`report`); the first look's until then.
    private var reported: Int?

    /// By how much `total` rose since the last look (nil on the first look, or when it did not).
    mutating func rise(to total: Int) -> Int? {
        if reported == nil { reported = seen ?? total }
        defer { seen = Swift.max(seen ?? total, total) }
        guard let seen, total > seen else { return nil }
        return total - seen
    }

    /// By how much `total` rose since the last report (or the first look), which it now is: a
    /// warning logged at most once a minute counts every rise since the one before, not only the
    /// turn's (found black-box, 58th review: "new=47 total=4950" a minute after "new=2 total=2").
    mutating func report(_ total: Int) -> Int {
        defer { reported = total }
        return total - (reported ?? total)
    }
}
