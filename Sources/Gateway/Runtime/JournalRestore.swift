import Journal
import Logging
import Recovery

/// Rebuilds the pipeline's state at start-up: the engine from the last snapshot plus the input
/// journaled after it, and the publications still owed to the broker.
///
/// Regenerated publications are compared, byte for byte and in order, with the ones the
/// journal already holds from before the crash: those are the ones that may have been sent,
/// so they are the ones resent (a consumer may de-duplicate on identical content). Only what
/// the journal never received is journaled anew. A difference (settings changed, say) is
/// logged and counted.
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
        var journaledAfterSnapshot = 0
        if next > scanFrom, oldest != nil {
            let reader = try JournalReader(directory: configuration.journalDirectory)
            try reader.read(fromSeq: scanFrom) { record in
                result.lastTime = max(result.lastTime, record.time)
                switch RecordType(rawValue: record.type) {
                case .message where record.seq >= inputFrom:
                    if let (topic, payload) = JournalRecords.decodeMessage(record.payload[...]) {
                        result.engine.ingest(topic: topic, payload: Array(payload), receivedAt: record.time, into: &regenerated)
                        result.replayedInputs += 1
                    }
                case .tick where record.seq >= inputFrom:
                    result.engine.tick(now: record.time, into: &regenerated)
                case .configuration where record.seq >= inputFrom:
                    if let changed = JournalRecords.decodeConfiguration(record.payload) { result.engine.reconfigure(changed) }
                case .publication:
                    guard let p = JournalRecords.decodePublication(record.payload) else { break }
                    if record.seq > publicationsThrough {
                        if journaledAfterSnapshot >= regenerated.count || regenerated[journaledAfterSnapshot] != p {
                            result.mismatchedPublications += 1
                        }
                        journaledAfterSnapshot += 1
                    }
                    if record.seq > acknowledged { outbound.enqueue(seq: record.seq, p) }
                default:
                    break
                }
                return true
            }
        }
        result.comparedPublications = journaledAfterSnapshot
        if result.mismatchedPublications > 0 {
            logger.warning(
                "journaled publications differ from the ones the journal's input regenerates; the journaled ones are resent",
                metadata: ["differing": "\(result.mismatchedPublications)", "compared": "\(journaledAfterSnapshot)"])
        }
        result.toJournal = Array(regenerated.dropFirst(journaledAfterSnapshot))
        return result
    }
}
