/// An engine count the gateway looks at after each turn, to report when it rises: the count
/// restored at start is not news (the start's own report said it), so the first look only
/// remembers it.
struct RisingCount: Sendable, Equatable {
    /// The count when last looked at (nil before the first look).
    private(set) var seen: Int?

    /// By how much `total` rose since the last look (nil on the first look, or when it did not).
    mutating func rise(to total: Int) -> Int? {
        defer { seen = Swift.max(seen ?? total, total) }
        guard let seen, total > seen else { return nil }
        return total - seen
    }
}
