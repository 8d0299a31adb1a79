import Wire

/// Upper bounds of what the engine publishes, for checks made before it runs (the gateway's
/// configuration loader budgets a fill against the journal ring with it).
public enum LargestOutput {
    /// The longest synthetic reading the engine can publish, rendered by the real renderer:
    /// a 64-character sensor id (`SensorID.isValid`), the largest seq, ts and boot the parser accepts, the longest
    /// number text a `Double` has (24 characters), the longer status and the longest method.
    public static var syntheticReading: Publication {
        Publication(kind: .cleaned, topic: Topics.cleaned(synthetic.sensorID), released: synthetic, payload: synthetic.render(), retain: false)
    }

    /// The same reading's copy on `latest/`, which every synthetic reading newer than the
    /// sensor's last value also is.
    public static var syntheticLatest: Publication {
        Publication(kind: .latest, topic: Topics.latest(synthetic.sensorID), released: synthetic, payload: synthetic.render(), retain: true)
    }

    private static var synthetic: ReleasedReading {
        var reading = ReleasedReading(
            sensorID: String(repeating: "x", count: 64), seq: ReadingParser.maxSeq,
            ts: ReadingParser.timestampLimit - 1, temperature: -Double.leastNormalMagnitude, status: .deviated,
            quality: .synthetic, boot: Int64.max)
        reading.method = FillMethod.allCases.max { $0.rawValue.utf8.count < $1.rawValue.utf8.count }
        return reading
    }
}
