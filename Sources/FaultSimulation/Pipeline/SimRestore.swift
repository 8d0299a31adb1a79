import Journal
import Recovery

/// Start-up after a crash, the mirror of the gateway's `JournalRestore`: the engine from the
/// last snapshot plus the input journaled after it, through the same `RestoreReplay`: regenerated
/// publications reconciled with the ones journaled after the snapshot (those may have been sent,
/// so they stand and are the ones resent); unacknowledged ones go to the outbound queue; only what
/// the journal never received is journaled anew.
struct SimRestore {
    struct Result {
        var engine: RecoveryEngine
        var toJournal: [Publication] = []
        var lastTime: Int64 = 0
        var mismatchedPublications = 0
        var rebuiltReadings = 0
        var withheldPublications = 0
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
        var replay = RestoreReplay(engine: result.engine, pending: regenerated)
        if next > scanFrom, oldest != nil {
            let reader = try JournalReader(directory: directory, fileSystem: fileSystem)
            try reader.read(fromSeq: scanFrom) { record in
                result.lastTime = max(result.lastTime, record.time)
                switch record.type {
                case SimRecords.message where record.seq >= inputFrom:
                    if let (topic, payload) = SimRecords.decodeMessage(record.payload[...]) {
                        replay.input(topic: topic, payload: Array(payload), receivedAt: record.time)
                    }
                case SimRecords.tick where record.seq >= inputFrom:
                    replay.tick(at: record.time)
                case SimRecords.publication:
                    guard let p = SimRecords.decodePublication(record.payload) else { break }
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
        result.mismatchedPublications = replay.mismatchedPublications
        result.rebuiltReadings = replay.rebuiltReadings
        result.withheldPublications = replay.withheldPublications
        return result
    }
}
