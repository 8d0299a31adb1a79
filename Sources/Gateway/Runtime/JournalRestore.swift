import Journal
import Logging
import Recovery

/// Rebuilds the pipeline's state at start-up: the engine from the last snapshot plus the input
/// journaled after it, and the publications still owed to the broker.
///
/// Regenerated publications are compared, byte for byte and in order, with the ones the
/// journal already holds from before the crash: those are the ones that may have been sent,
/// so they are the ones resent (a consumer may de-duplicate on identical content). Only what
/// the journal never received is journaled anew. A difference (a damaged record, settings
/// changed) is reconciled by `RestoreReplay` (the journaled publications stand), logged and
/// counted.
struct JournalRestore {
    struct Result {
        var engine: RecoveryEngine
        /// Regenerated publications the journal never received.
        var toJournal: [Publication] = []
        /// What the snapshot on disk needs kept (nil: no usable snapshot).
        var snapshotRetainFrom: UInt64?
        /// The latest record time seen.
        var lastTime: Int64 = 0
        var replayedInputs = 0
        var comparedPublications = 0
        var mismatchedPublications = 0
        /// Readings rebuilt from journaled publications because their input record was damaged.
        var rebuiltReadings = 0
        /// Regenerated cleaned messages withheld because the journal had already published their seq.
        var withheldPublications = 0
        var snapshotProblem: String?
    }

    let configuration: GatewayConfiguration
    let logger: Logger

    /// Restores; unacknowledged publications go into `outbound`. `snapshot` gives the engine
    /// snapshot on disk (loaded while the journal was opened).
    func run(
        _ ingest: IngestJournal, outbound: inout OutboundQueue,
        snapshot loadSnapshot: () throws -> EngineSnapshot?
    ) throws -> Result {
        var result = Result(engine: RecoveryEngine(configuration: configuration.engine))
        let (oldest, next, acknowledged) = ingest.withJournal { j in (j.oldestSeq, j.nextSeq, j.checkpoint.value ?? 0) }
        var inputFrom = oldest ?? next
        var publicationsThrough: UInt64 = 0
        var regenerated: [Publication] = []
        do {
            if let snapshot = try loadSnapshot() {
                // Settings a reload can change are journaled where they changed, so a snapshot
                // differing only in those is still the state the journal continues from.
                if configuration.engine.keepingRestartOnly(from: snapshot.engine.configuration) == configuration.engine {
                    result.engine = snapshot.engine
                    inputFrom = snapshot.inputFrom
                    publicationsThrough = snapshot.publicationsThrough
                    regenerated = snapshot.pending
                    result.snapshotRetainFrom = snapshot.retainFrom
                    result.lastTime = snapshot.time ?? 0
                    if let oldest, oldest > snapshot.retainFrom {
                        logger.warning(
                            "the journal no longer holds what the engine snapshot needs; state may differ slightly",
                            metadata: ["needed_from": "\(snapshot.retainFrom)", "oldest": "\(oldest)"])
                    }
                } else {
                    logger.notice("settings changed since the last run: engine state rebuilt from the journal")
                }
            }
        } catch let other as SnapshotError {
            if case .otherVersion = other {
                logger.notice("\(other): engine state rebuilt from the journal, once")
            } else {
                result.snapshotProblem = "\(other)"
                logger.error("engine snapshot unreadable; rebuilding from the journal", metadata: ["error": "\(other)"])
            }
        } catch {
            result.snapshotProblem = "\(error)"
            logger.error("engine snapshot unreadable; rebuilding from the journal", metadata: ["error": "\(error)"])
        }

        let scanFrom = min(inputFrom, publicationsThrough + 1, acknowledged + 1)
        var replay = RestoreReplay(engine: result.engine, pending: regenerated)
        if next > scanFrom, oldest != nil {
            let reader = try JournalReader(directory: configuration.journalDirectory)
            try reader.read(fromSeq: scanFrom) { record in
                result.lastTime = max(result.lastTime, record.time)
                switch RecordType(rawValue: record.type) {
                case .message where record.seq >= inputFrom:
                    if let (topic, payload) = JournalRecords.decodeMessage(record.payload[...]) {
                        replay.input(topic: topic, payload: Array(payload), receivedAt: record.time)
                        result.replayedInputs += 1
                    }
                case .tick where record.seq >= inputFrom:
                    replay.tick(at: record.time)
                case .configuration where record.seq >= inputFrom:
                    if let changed = JournalRecords.decodeConfiguration(record.payload) { replay.reconfigure(changed) }
                case .publication:
                    guard let p = JournalRecords.decodePublication(record.payload) else { break }
                    if record.seq > publicationsThrough { replay.journaled(p, at: record.time) }
                    if record.seq > acknowledged { outbound.enqueue(seq: record.seq, p) }
                default:
                    break
                }
                return true
            }
        }
        result.toJournal = replay.finish()
        result.engine = replay.engine
        result.comparedPublications = replay.comparedPublications
        result.mismatchedPublications = replay.mismatchedPublications
        result.rebuiltReadings = replay.rebuiltReadings
        result.withheldPublications = replay.withheldPublications
        if replay.diverged {
            logger.warning(
                "the journal's input no longer regenerates the journaled publications (a record was damaged): the journaled ones stand and are resent",
                metadata: [
                    "differing": "\(replay.mismatchedPublications)", "compared": "\(replay.comparedPublications)",
                    "readings_rebuilt_from_publications": "\(replay.rebuiltReadings)",
                    "regenerated_withheld": "\(replay.withheldPublications)",
                ])
        }
        return result
    }
}
