import Journal
import Recovery

/// Start-up after a crash, the mirror of the gateway's `JournalRestore`: the engine from the
/// last snapshot plus the input journaled after it; regenerated publications compared in order
/// with the ones journaled after the snapshot (those may have been sent, so they are the ones
/// resent); unacknowledged ones go to the outbound queue; only what the journal never received
/// is journaled anew.
struct SimRestore {
    struct Result {
        var engine: RecoveryEngine
        var toJournal: [Publication] = []
        var lastTime: Int64 = 0
        var mismatchedPublications = 0
    }

    let engineConfiguration: EngineConfiguration
    let directory: String
    let fileSystem: FaultyFileSystem

    mutating func run(journal: Journal, snapshot: SimSnapshot?, outbound: inout SimOutbound) throws -> Result {
        var result = Result(engine: RecoveryEngine(configuration: engineConfiguration))
        let (oldest, next, acknowledged) = (journal.oldestSeq, journal.nextSeq, journal.checkpoint.value ?? 0)
        var inputFrom = oldest ?? next
        var publicationsThrough: UInt64 = 0
        var regenerated: [Publication] = []
        if let snapshot {
            result.engine = snapshot.engine
            inputFrom = snapshot.inputFrom
            publicationsThrough = snapshot.publicationsThrough
            regenerated = snapshot.pending
            result.lastTime = snapshot.time
        }
        let scanFrom = min(inputFrom, publicationsThrough + 1, acknowledged + 1)
        var journaledAfterSnapshot = 0
        if next > scanFrom, oldest != nil {
            let reader = try JournalReader(directory: directory, fileSystem: fileSystem)
            try reader.read(fromSeq: scanFrom) { record in
                result.lastTime = max(result.lastTime, record.time)
                switch record.type {
                case SimRecords.message where record.seq >= inputFrom:
                    if let (topic, payload) = SimRecords.decodeMessage(record.payload[...]) {
                        result.engine.ingest(topic: topic, payload: Array(payload), receivedAt: record.time, into: &regenerated)
                    }
                case SimRecords.tick where record.seq >= inputFrom:
                    result.engine.tick(now: record.time, into: &regenerated)
                case SimRecords.publication:
                    guard let p = SimRecords.decodePublication(record.payload) else { break }
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
        result.toJournal = Array(regenerated.dropFirst(journaledAfterSnapshot))
        return result
    }
}
