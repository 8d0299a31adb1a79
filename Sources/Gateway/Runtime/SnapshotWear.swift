import Journal

/// Whether the journal is too small for the engine's state to be snapshotted at its ordinary
/// pace. A snapshot is written once the journal has grown by `Maintenance.journalBytesPerSnapshotByte`
/// times the last one's size (so snapshots add at most a sixteenth to the bytes written), but
/// every `Maintenance.snapshotUnderPressureMs` while the journal has less than a quarter of its
/// room left: a journal whose three quarters cannot hold that growth lives under pressure, and
/// its snapshots are written many times faster than its own records (found black-box, 47th
/// review: a 2 MiB journal beside a 7 MB snapshot of 3,000 sensors wrote 4 times the journal's
/// bytes in snapshots, with no word from `config check` or `run`).
enum SnapshotWear {
    /// A warning for a journal of `journalBytes` beside the snapshot at `snapshotPath`, or nil
    /// (no snapshot yet, or a journal large enough). Only the snapshot's sound frames count: a
    /// damaged one is rewritten at its true size (found black-box, 55th review: the advice
    /// asked for a journal sized to a 2 GB damaged file).
    static func warning(journalBytes: Int, snapshotPath: String) -> String? {
        EngineSnapshot.soundBytes(snapshotPath, fileSystem: POSIXFileSystem()).flatMap { warning(journalBytes: journalBytes, snapshotBytes: $0) }
    }

    /// The same for a snapshot of `snapshot` bytes (`run` knows it from loading it, and reads
    /// the file once).
    static func warning(journalBytes: Int, snapshotBytes snapshot: Int) -> String? {
        guard snapshot > 0 else { return nil }
        let needed = snapshot * Int(Maintenance.journalBytesPerSnapshotByte) * 4 / 3
        guard journalBytes < needed else { return nil }
        return "journal-max-bytes \(journalBytes) is small beside the engine snapshot (\(snapshot) bytes): snapshots will be written every "
            + "\(Maintenance.snapshotUnderPressureMs) ms while the journal is short of room, more bytes than the journal's own (flash wear); "
            + "a journal of at least \(needed) bytes keeps them to a sixteenth"
    }
}
