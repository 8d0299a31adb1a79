/// A fill decided and not yet wholly published (issue 29, finding 4): the seqs from the sensor's
/// next seq through `through` are covered by synthetic readings, at most
/// `RecoveryEngine.fillChunk` of them per tick, so a fill longer than the journal ring streams out
/// as the ring drains instead of needing room for all of it at once.
///
/// Decided once (length against `max-fill`, the fill allowance) when the gap's wait is over; the
/// readings still come out in seq order and each seq once. A real reading that arrives for a seq
/// the fill has not reached yet is published as itself (`ok`), not restated later. The values are
/// those of an unstreamed fill: each chunk draws on the same neighbours (the last valid reading
/// before it and the held reading after it), so a fill nothing interrupts publishes exactly what
/// it would have in one go.
struct OpenFill: Codable, Sendable, Equatable {
    /// The last seq the fill covers.
    var through: UInt64
    /// When it was decided (engine time): every tick from then on continues it.
    var since: Int64
    /// For a fill with no reading on its left (an epoch's first seqs): where its estimates must
    /// come after (`Estimator.timestamp`). nil: it has a left neighbour, or a snapshot from before
    /// it was kept.
    var floor: Floor? = nil

    /// A fill's first seq, and the newest `ts` the sensor had published when it was decided: its
    /// estimates are stamped after that `ts`, never stepped back behind what went out.
    struct Floor: Codable, Sendable, Equatable {
        var firstSeq: UInt64
        var ts: Int64
    }
}
