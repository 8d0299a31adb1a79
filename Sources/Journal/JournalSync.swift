/// A sync taken apart so it can run without the writer's lock, as Kafka's log flusher and
/// PostgreSQL's WAL writer do: `beginSync` (under the lock) writes the buffer and says which
/// files hold what must become durable, `run` (no lock) syncs them while appends go on, and
/// `finishSync` (under the lock again) moves `durableSeq` to what the sync covered.
///
/// `run` touches only file handles, which stay open for the journal's life, and `fdatasync` may
/// run while another thread writes elsewhere in the file: what was written before it began is
/// durable when it returns, whatever was written meanwhile.
extension Journal {
    public struct PendingSync: Sendable {
        /// Every record up to this seq is durable once `run` returns.
        public let throughSeq: UInt64
        let handles: [Int32]
        let fileSystem: any FileSystem

        /// Syncs the files (`fdatasync` each); call it without the writer's lock.
        public func run() throws {
            for handle in handles { try fileSystem.sync(handle) }
        }
    }

    /// Writes buffered appends to the files and returns the sync that makes them durable; nil
    /// when everything written is durable already.
    public func beginSync() throws -> PendingSync? {
        if let poisoned { throw JournalError.poisoned(poisoned) }
        try guarded { try flushBuffer() }
        guard writtenSeq > durableSeq || !dirty.isEmpty else { return nil }
        let pending = PendingSync(throughSeq: writtenSeq, handles: dirty.sorted().map { segments.handles[$0] }, fileSystem: fileSystem)
        dirty.removeAll()
        return pending
    }

    /// Records what `pending.run()` did: with `failure`, the journal is poisoned (a retried
    /// fsync can report success for data it already lost) and the failure thrown; otherwise
    /// everything through `pending.throughSeq` is durable. Syncs may finish out of order (one
    /// on the caller's thread, one in a flusher): `durableSeq` only moves forward.
    public func finishSync(_ pending: PendingSync, failure: (any Error)?) throws {
        if let failure {
            if poisoned == nil { poisoned = "\(failure)" }
            throw (failure as? FileSystemError).map(JournalError.io) ?? failure
        }
        try JournalInvariant.require(
            pending.throughSeq <= writtenSeq, "a sync covered seq \(pending.throughSeq), past the last written \(writtenSeq)")
        statistics.syncs += 1
        durableSeq = max(durableSeq, pending.throughSeq)
        syncedSeq = max(syncedSeq, pending.throughSeq)
        try JournalInvariant.require(durableSeq <= writtenSeq && writtenSeq < nextSeq, "positions out of order: \(positions)")
    }

    /// Durably records `seq` as the checkpoint (the last record whose output the broker
    /// acknowledged), with the last record synced (none with `fsync never`), so that damage to
    /// records synced long ago is never taken for a torn write at the next open. It only moves
    /// forward, and never past a record written: anything else is a bug in the caller's
    /// bookkeeping, refused with `JournalError.invariantViolated` (the stored checkpoint is left
    /// as it was).
    public func storeCheckpoint(_ seq: UInt64) throws {
        try JournalInvariant.require(seq <= writtenSeq, "a checkpoint at seq \(seq) is ahead of the last written \(writtenSeq)")
        let stored = checkpoint.value ?? 0
        try JournalInvariant.require(seq >= stored, "a checkpoint at seq \(seq) would move back from \(stored)")
        try checkpoint.store(seq, durableThrough: syncedThrough)
    }

    /// Whether a checkpoint of `acknowledged` would say more than the stored one: output
    /// acknowledged, or records synced, since.
    public func checkpointIsBehind(acknowledged: UInt64) -> Bool {
        acknowledged > (checkpoint.value ?? 0) || syncedThrough > (checkpoint.durable ?? 0)
    }

    /// The last record a sync made durable.
    private var syncedThrough: UInt64 { syncedSeq }

    /// A record is never reclaimed at or after its retention point: `rotate` checks the segment
    /// it is about to reuse (the append that led there has checked it already; this is the
    /// last line, so a bug there cannot lose unfinished work).
    static func checkReclaim(lastSeq: UInt64, retainFrom: UInt64?) throws {
        guard let retainFrom else { return }
        try JournalInvariant.require(lastSeq < retainFrom, "reclaiming a segment ending at seq \(lastSeq), at or after the retention point \(retainFrom)")
    }

    var positions: String { "durable \(durableSeq), written \(writtenSeq), next \(nextSeq)" }
}

/// The journal's invariants, checked on the paths that could break them (after TigerBeetle's
/// journal, which asserts on every path). A violation is a bug; it throws rather than traps so
/// tests can drive each check to fire, and a write that meets one poisons the journal (the
/// gateway then stops taking input, exit 74) instead of going on with a broken ring.
enum JournalInvariant {
    static func require(_ condition: Bool, _ what: @autoclosure () -> String) throws {
        if !condition { throw JournalError.invariantViolated(what()) }
    }
}
