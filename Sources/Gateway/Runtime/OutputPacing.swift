/// What the pipeline may run through the engine this turn, so that output is made only as the
/// journal has room for it and the ring can always reclaim (issue 29, finding 4).
///
/// Every publication is journaled before it is sent and stays in the ring until the broker
/// acknowledged it; input stays until a snapshot on disk covers it. The ring reclaims oldest
/// first, so one record still needed pins everything after it. Three rules keep it turning:
///
/// - A tick (and new engine settings) is taken only once the journal holds all the output made
///   before it: the engine's next output (a fill streams a chunk per tick, `OpenFill`) is made
///   only as the journal has room.
/// - Journaled input is run even while output waits for room (as long as the outbound queue has
///   room): input the engine has not taken pins the ring (a replay needs it), so leaving it there
///   until the output is journaled would wait for ever once the output behind it fills the ring.
/// - While output waits, the input connection pauses (`IngestJournal.Pause.outputWaiting`): the
///   room the ring reclaims goes to the output first, and the input run meanwhile is bounded by
///   what was journaled before the pause.
///
/// The retained position then moves past acknowledged output whenever no input waits for the
/// engine (`GatewayService.inputPosition`), and snapshots (taken more often under pressure) let
/// go of the input already run.
struct OutputPacing {
    /// Publications the engine made that the journal has not taken yet.
    var unjournaled: Int
    /// The outbound queue is under half full and not spilled to the journal.
    var outboundHasRoom: Bool

    init(unjournaled: Int, outbound: OutboundQueue) {
        self.unjournaled = unjournaled
        outboundHasRoom = outbound.waitingCount < outbound.capacity / 2 && outbound.spilledFrom == nil
    }

    /// Whether journaled input may run through the engine now.
    var mayRunInput: Bool { outboundHasRoom }

    /// Whether a due tick, or new engine settings, may be taken now.
    var mayTick: Bool { outboundHasRoom && unjournaled == 0 }

    /// Whether the input connection should leave readings in the broker for now.
    var inputWaits: Bool { unjournaled > 0 }
}
