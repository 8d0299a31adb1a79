/// Journaled input taken from `IngestJournal` and not yet run through the engine.
///
/// A turn of the service loop runs at most `perTurn` inputs of it, so a large batch (a backlog
/// that arrived while the engine was busy, up to the ingest limit of 4,096 messages) cannot
/// stall the loop: acknowledgements, durable output and the status go on between the parts.
/// The tick journaled after the batch runs after its last input, the order replay will see.
struct InputBatch {
    static let perTurn = 1024

    private var inputs: [IngestJournal.Input] = []
    private var next = 0
    private var tick: (seq: UInt64, time: Int64)?
    /// Batches that took more than one turn to run.
    private(set) var split = 0

    /// Whether everything taken has run: only then may more be taken.
    var isEmpty: Bool { next == inputs.count && tick == nil }

    /// Starts on a new batch; the previous one must be empty.
    mutating func start(_ inputs: [IngestJournal.Input], tick: (seq: UInt64, time: Int64)?) {
        precondition(isEmpty, "a batch taken before the last one ran")
        self.inputs = inputs
        next = 0
        self.tick = tick
        if inputs.count > Self.perTurn { split += 1 }
    }

    /// This turn's part: at most `perTurn` inputs, and the tick once no input is left.
    mutating func nextPart() -> (inputs: ArraySlice<IngestJournal.Input>, tick: (seq: UInt64, time: Int64)?) {
        let end = min(inputs.count, next + Self.perTurn)
        let part = inputs[next..<end]
        next = end
        guard next == inputs.count else { return (part, nil) }
        defer { tick = nil }
        return (part, tick)
    }
}
