import Logging
import Recovery

/// Journaled input and clock ticks through the engine: the one owner of the `RecoveryEngine`.
///
/// Each turn it takes what the input connection's network thread journaled
/// (`IngestJournal.take`), with new engine settings and a due tick appended after it in the same
/// step (the order a replay of the journal sees), and runs at most `InputBatch.perTurn` inputs
/// through the engine. The engine's publications go to the `Publisher`'s queue. It runs only
/// while the publisher has room, so input waits (and pauses at the broker) while output is
/// behind.
///
/// Confined to the service loop's thread (`GatewayService`), like every owner of the runtime.
final class Pipeline {
    private(set) var engine: RecoveryEngine
    private let ingest: IngestJournal
    /// Settings a SIGHUP reload changed (nil: none can change, as in tests that build a service).
    private let live: LiveSettings?
    private let logger: Logger
    /// Input taken from the journal and not yet run through the engine.
    private var batch = InputBatch()
    /// Engine settings the journal had no room for yet: journaled at the next take.
    private var unjournaledSettings: EngineConfiguration?
    /// The first journal seq of input the engine has not taken.
    private(set) var inputFrom: UInt64
    /// Reloaded engine settings journaled and applied since start.
    private(set) var settingsApplied = 0
    /// Test hook: runs before each batch of input reaches the engine (to make it slow).
    var beforeBatch: (@Sendable () -> Void)?

    /// Whether the engine's settings declare the measurement `name` (besides temperature).
    func declares(_ name: String) -> Bool { engine.configuration.measurements?.contains { $0.name == name } ?? false }

    /// `engine`: as restored; `configured`: the settings the configuration asks for, journaled
    /// first when they differ from the ones the journal left the engine with (changed between
    /// runs), so a later replay changes them at the same point. Journaled here, before the
    /// broker connection hands over what it queued for this client while the gateway was
    /// stopped: that input is read under the new settings (a narrowed filter's old topics are
    /// not read as readings). With no room in the journal yet, at the first take instead.
    init(engine: RecoveryEngine, configured: EngineConfiguration, inputFrom: UInt64, ingest: IngestJournal, live: LiveSettings?, logger: Logger) {
        self.engine = engine
        self.inputFrom = inputFrom
        self.ingest = ingest
        self.live = live
        self.logger = logger
        if engine.configuration != configured {
            logger.notice(
                "engine settings changed since the last run; they apply before the input of this run",
                metadata: ["changed": "\(EngineSettingsDiff.names(from: engine.configuration, to: configured).joined(separator: ", "))"])
            let (taken, unjournaled) = ingest.take(configuration: configured) { _ in false }
            unjournaledSettings = unjournaled
            batch.start(taken.inputs, configuration: taken.configuration, tick: taken.tick)
        }
    }

    /// Whether input taken from the journal has not all run yet (the rest runs next turn).
    var hasUnrunInput: Bool { !batch.isEmpty }

    /// When the engine next has something due (a reorder window closing, a sensor going stale).
    var nextDeadline: Int64? { engine.nextDeadline() }

    /// The first journal seq of input the engine's state does not cover: the next input to run,
    /// or, when everything taken has run, the first journaled message not taken (the journal's
    /// next seq when none waits), so acknowledged output after the last input can be reclaimed
    /// (`OutputPacing`). Snapshots and the journal's retention follow it.
    var inputPosition: UInt64 { batch.isEmpty ? max(inputFrom, ingest.firstUntakenSeq) : inputFrom }

    /// Feeds the engine the input journaled since the last turn, and a tick when one is due and
    /// `mayTick` (`OutputPacing`: the engine's last output is journaled), or when `listening`
    /// (the input connection is up) is not what the engine knows: at most
    /// `InputBatch.perTurn` inputs a turn, the rest of a larger batch in the turns after (before
    /// anything more is taken). Returns how many sensors the engine admitted. A journal failure
    /// met while taking shows in `IngestJournal.failure`.
    func process(into publications: inout [Publication], mayTick: Bool, listening: Bool) -> Int {
        if batch.isEmpty {
            let deadline = mayTick ? engine.nextDeadline() : nil
            let change = mayTick ? unjournaledSettings ?? live?.takeEngineChange() : nil
            let heard = mayTick && listening != engine.isListening ? listening : nil
            let (taken, unjournaled) = ingest.take(configuration: change, listening: heard) { now in deadline.map { now >= $0 } ?? false }
            if mayTick { unjournaledSettings = unjournaled }
            if !taken.inputs.isEmpty { beforeBatch?() }
            batch.start(taken.inputs, configuration: taken.configuration, tick: taken.tick)
        }
        let part = batch.nextPart()
        let admittedBefore = engine.sensorsAdmitted
        let publishedBefore = publications.count
        var ran = 0
        for input in part.inputs {
            engine.ingest(topic: input.topic, payload: input.payload, receivedAt: input.time, into: &publications)
            inputFrom = input.seq + 1
            ran += 1
            // Past a bound of output the rest waits for the next turn (`InputBatch.outputPerTurn`);
            // the engine still takes every input in the journal's order, as a replay does.
            if publications.count - publishedBefore >= InputBatch.outputPerTurn, ran < part.inputs.count {
                batch.putBack(part, from: ran)
                return engine.sensorsAdmitted - admittedBefore
            }
        }
        if let change = part.configuration {
            engine.reconfigure(change.configuration, at: change.time, into: &publications)
            inputFrom = change.seq + 1
            settingsApplied += 1
            logger.notice("new engine settings journaled; they apply from here on", metadata: ["journal_seq": "\(change.seq)"])
            if let cap = change.configuration.maxSensors, engine.sensorCount > cap {
                // Nothing is dropped for it: no new id is admitted until enough of the tracked go
                // quiet (found black-box, 63rd review: only the change was logged).
                logger.warning(
                    "max-sensors is now below the sensors tracked: no new sensor is admitted until silent ones are forgotten (at the cap one silent for 60 s makes room; the others expire after sensor-retention-s); new ids meanwhile are dead-lettered too_many_sensors",
                    metadata: ["tracked": "\(engine.sensorCount)", "max_sensors": "\(cap)"])
            }
        }
        if let tick = part.tick {
            engine.tick(now: tick.time, listening: tick.listening, into: &publications)
            inputFrom = tick.seq + 1
        }
        return engine.sensorsAdmitted - admittedBefore
    }

    /// The pipeline's part of the status: the engine's totals, and its sensors' rows when asked.
    func report(into s: inout GatewayStatusSnapshot, sensorRows: Bool) {
        s.counters = engine.counters
        if sensorRows { s.sensors = engine.summaries }
        s.runtime.settingsApplied = settingsApplied
    }
}
