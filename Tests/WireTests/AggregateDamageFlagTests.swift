import Testing
import Wire

/// The `journal_damaged` flag on aggregate windows sent after a restart that found journal
/// damage (docs/INTERFACE.md section 4).
@Suite("Aggregate windows flagged after journal damage")
struct AggregateDamageFlagTests {
    static let window = Array(
        #"{"sensor_id":"s","window_start":60000,"window_end":120000,"count":2,"min":51,"max":52,"mean":51.5,"ok":2,"corrected":0,"synthetic":0,"revision":0}"#
            .utf8)

    @Test("a window that began before the damaged restart is flagged; a later one, no restart, or another message is sent as made")
    func flagged() throws {
        let flagged = AggregateWindowMessage.flaggingJournalDamage(Self.window, windowsBefore: 60_001)
        let decoded = try WireJSON.decode(AggregateWindowMessage.self, from: flagged)
        #expect(decoded.journalDamaged == true && decoded.count == 2 && decoded.revision == 0)
        #expect(String(decoding: flagged, as: UTF8.self).hasSuffix(#""revision":0,"journal_damaged":true}"#))
        #expect(AggregateWindowMessage.flaggingJournalDamage(Self.window, windowsBefore: 60_000) == Self.window)
        #expect(AggregateWindowMessage.flaggingJournalDamage(Self.window, windowsBefore: nil) == Self.window)
        let other = Array(#"{"sensor_id":"s","seq":1}"#.utf8)
        #expect(AggregateWindowMessage.flaggingJournalDamage(other, windowsBefore: .max) == other)
        // Flagged once only, and an unflagged window decodes without it.
        #expect(AggregateWindowMessage.flaggingJournalDamage(flagged, windowsBefore: .max) == flagged)
        #expect(try WireJSON.decode(AggregateWindowMessage.self, from: Self.window).journalDamaged == nil)
    }
}
