import Wire

/// A run of missing readings too long to fill (more than `max_fill`). `from_ts`/`to_ts` are the
/// event times of the readings on either side, so the span holds no data (`seq`/`ts` repeat the
/// start, giving consumers the same de-duplication key as any cleaned message).
struct GapNotice: Equatable {
    var sensorID: String
    var fromSeq: UInt64
    var toSeq: UInt64
    var fromTs: Int64
    var toTs: Int64
    var boot: Int64?
    /// Why, when it is not the usual one (a run over `max_fill`): `ResendHoles.reason`.
    var reason: String? = nil
    /// The measurement, when not temperature: a gap has no value to carry its name, so it says
    /// it (a replay answer or an export line has no topic to tell it).
    var measurement: String? = nil

    func render() -> [UInt8] {
        var w = JSONWriter()
        w.plainString("sensor_id", sensorID)
        w.uint("seq", fromSeq)
        w.int("ts", fromTs)
        w.plainString("quality", Quality.gap.rawValue)
        w.uint("from_seq", fromSeq)
        w.uint("to_seq", toSeq)
        w.int("from_ts", fromTs)
        w.int("to_ts", toTs)
        if let boot { w.int("boot", boot) }
        if let reason { w.plainString("reason", reason) }
        if let measurement { w.plainString("measurement", measurement) }
        return w.finish()
    }

    /// The `journal_damaged` gap over `seqs` of sensor `sensorID`'s stream on cleaned topic
    /// `topic` (which names the measurement), as a publication: the stand-in a restart sends for
    /// output damage destroyed (`ResendHoles`, `RestoreReplay.takeDestroyedBefore`, the broker's
    /// retained seq).
    static func journalDamaged(
        on topic: String, sensorID: String, seqs: ClosedRange<UInt64>, fromTs: Int64, toTs: Int64, boot: Int64?
    ) -> Publication {
        let notice = GapNotice(
            sensorID: sensorID, fromSeq: seqs.lowerBound, toSeq: seqs.upperBound, fromTs: fromTs, toTs: toTs, boot: boot,
            reason: CleanedReading.journalDamaged, measurement: StreamName(outputTopic: topic)?.measurement)
        return Publication(kind: .cleaned, topic: topic, payload: notice.render())
    }
}
