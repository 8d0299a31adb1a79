import Recovery

/// Counts the pipeline keeps of itself (the engine and the ingest side keep their own).
struct RuntimeCounters: Sendable, Equatable {
    var published: [Publication.Kind: Int] = [:]
    var replays = 0
    /// Replay requests refused at once, by `ReplayResponder.RefusalReason` label.
    var replaysRefused: [String: Int] = [:]
    var checkpointFailures = 0
    var snapshotReadFailures = 0
    /// Journaled publications that differed from the ones their input regenerated at restore.
    var restoreMismatches = 0
    /// Journaled publications the restore compared with the ones their input regenerated.
    var restoreCompared = 0
    /// Reloaded engine settings journaled and applied since start.
    var settingsApplied = 0
    /// Steps of the wall clock seen against the journal's timeline (`JournalClock`).
    var clockSteps = 0
    /// Reconnections to the broker since start, by connection.
    var inputReconnects = 0
    var outputReconnects = 0
    /// Input connections where the broker had lost the gateway's persistent session, and when
    /// (monotonic ms) the last was, for `/healthz` (`BrokerSession.noteSession`).
    var sessionsLost = 0
    var lastSessionLostAt: Int64?
    /// Why this start did not check the journal against the broker's retained `latest/` values
    /// (`JournalRestore.Result.notChecked`): shown on `/healthz` for its first 10 minutes.
    var startNotChecked: Unchecked?
    /// Why the start's check was not made, and when (monotonic ms) the restore said so.
    struct Unchecked: Sendable, Equatable {
        var why: String
        var at: Int64
    }
    /// nil without the Sparkplug edge node's connection.
    var sparkplugReconnects: Int?
    /// Publications the broker refused (MQTT 5 reason codes), by kind and reason.
    var refusedPublications: [RefusedPublications: Int] = [:]
    /// The last refusal: when (monotonic ms) and what, for `/healthz`.
    var lastRefusalAt: Int64?
    var lastRefusal: String?
    /// Times another gateway with this `gateway-id` was seen online (`OtherInstanceWatch`),
    /// and when (monotonic ms) and what the last one was, for `/healthz`.
    var otherInstanceSightings = 0
    var lastOtherInstanceAt: Int64?
    var lastOtherInstance: String?
    /// Set when the last sighting was a connection taken over (`connectionTakenOver`): what
    /// the broker did.
    var lastOtherInstanceByClientID: String?
    /// Gateways with another `gateway-id` online now and reading some of this one's sensors
    /// (`OverlappingGatewayWatch`): their ids, and the filters of theirs that overlap.
    var overlappingGateways: [String: [String]] = [:]
    /// The broker's count of messages it dropped (`BrokerDropWatch`), and when (monotonic ms)
    /// and by how much it last rose, for `/healthz`.
    var brokerDrops = BrokerDropWatch()
    var lastBrokerDropAt: Int64?
    var lastBrokerDrop: BrokerDropWatch.Rise?
    /// When (monotonic ms) the engine last published a `journal_damaged` gap because the
    /// broker's `latest/` was past a stream (`OutputTotals.journalDamagedGaps`), for `/healthz`.
    var lastDamagedGapAt: Int64?
    var damagedGaps = RisingCount()
    /// When (monotonic ms) the engine last dead-lettered a reading stamped ahead of the gateway's
    /// clock (`EngineCounters.aheadOfClock`), for `/healthz`; its count, and when such readings
    /// were last logged.
    var lastAheadOfClockAt: Int64?
    var aheadOfClock = RisingCount()
    var aheadOfClockLoggedAt: Int64?
    /// When (monotonic ms) a Sparkplug edge node's sequence last jumped by more than 128
    /// messages (`SparkplugCounters.sequenceJumps`), for `/healthz`; its count, and when such
    /// jumps were last logged.
    var lastSequenceJumpAt: Int64?
    var sequenceJumps = RisingCount()
    var sequenceJumpLoggedAt: Int64?
    /// Since when (monotonic ms) input has been paused or settling without a pause: the
    /// gateway is behind its input, which waits at the broker (`InputHearing`); nil when it keeps up.
    var inputBehindSince: Int64?
    /// When (monotonic ms) the broker last acknowledged a publication slowly, and how long
    /// after it was sent (`Observability.slowAnswer`), for `/healthz`.
    var lastSlowAnswerAt: Int64?
    var lastSlowAnswerMs: Int64?
}

/// The kind of a publication the broker refused, and its reason.
struct RefusedPublications: Hashable, Sendable {
    var kind: String
    var reason: String
}
