import Recovery

/// Journaled input taken from `IngestJournal` and not yet run through the engine.
///
/// A turn of the service loop runs at most `perTurn` inputs of it, so a large batch (a backlog
/// that arrived while the engine was busy, up to the ingest limit of 4,096 messages) cannot
/// stall the loop: acknowledgements, durable output and the status go on between the parts.
/// A turn whose inputs made `outputPerTurn` publications leaves the rest of its part for the
/// next (`Pipeline.process`): a reading can release many held ones (a new sensor's first-sight
/// hold ending), and a thousand of them in one turn held every publication they made at once.
/// New engine settings and the tick journaled after the batch run after its last input, the
/// order replay will see.
struct InputBatch {
    static let perTurn = 1024
    /// Publications a turn's inputs may make before the rest waits for the next turn: twice a
    /// tick's budget (`RecoveryEngine.tickPublicationBudget`), above what a part of in-order
    /// readings makes (about two each, `cleaned/` and `latest/`).
    static let outputPerTurn = 2 * RecoveryEngine.tickPublicationBudget

    private var inputs: [IngestJournal.Input] = []
    private var next = 0
    private var tick: IngestJournal.Tick?
    private var configuration: (seq: UInt64, time: Int64, configuration: EngineConfiguration)?
    /// Batches that took more than one turn to run.
    private(set) var split = 0

    /// Whether everything taken has run: only then may more be taken.
    var isEmpty: Bool { next == inputs.count && tick == nil && configuration == nil }

    /// Starts on a new batch; the previous one must be empty.
    mutating func start(
        _ inputs: [IngestJournal.Input], configuration: (seq: UInt64, time: Int64, configuration: EngineConfiguration)? = nil,
        tick: IngestJournal.Tick?
    ) {
        precondition(isEmpty, "a batch taken before the last one ran")
        self.inputs = inputs
        next = 0
        self.configuration = configuration
        self.tick = tick
        if inputs.count > Self.perTurn { split += 1 }
    }

    /// This turn's part: at most `perTurn` inputs, and the settings and the tick once no input
    /// is left (to run in that order).
    mutating func nextPart() -> Part {
        let end = min(inputs.count, next + Self.perTurn)
        let part = inputs[next..<end]
        next = end
        guard next == inputs.count else { return Part(inputs: part) }
        defer { (tick, configuration) = (nil, nil) }
        return Part(inputs: part, configuration: configuration, tick: tick)
    }

    /// Gives back the inputs of `part` from index `ran` on (the turn stopped there), with the
    /// settings and tick it carried: the next turn's part starts with them, in the same order.
    mutating func putBack(_ part: Part, from ran: Int) {
        next -= part.inputs.count - ran
        if part.tick != nil { tick = part.tick }
        if part.configuration != nil { configuration = part.configuration }
    }

    /// One turn's share of the batch.
    struct Part {
        var inputs: ArraySlice<IngestJournal.Input>
        var configuration: (seq: UInt64, time: Int64, configuration: EngineConfiguration)?
        var tick: IngestJournal.Tick?
    }
}
