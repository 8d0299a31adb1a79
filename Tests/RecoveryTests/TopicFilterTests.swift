import Testing

@testable import Recovery

/// MQTT topic filters as the engine and `config check` match them (MQTT 3.1.1 section 4.7).
@Suite("Topic filters")
struct TopicFilterTests {
    @Test(
        "`#` takes its level and all below, `+` one level; the usual `prefix/#` form matches as the general one does",
        arguments: [
            ("spBv1.0/#", "spBv1.0/G/NDATA/N", true), ("spBv1.0/#", "spBv1.0", true), ("spBv1.0/G/#", "spBv1.0/G2/NDATA/N", false),
            ("spBv1.0/G/#", "spBv1.0/G/NBIRTH/N", true), ("spBv1.0/G/#", "spBv1.0/G", true), ("spBv1.0/G/#", "spBv1.0/Gx", false),
            ("spBv1.0/+/+/N1/#", "spBv1.0/G/NBIRTH/N1", true), ("spBv1.0/+/+/N1/#", "spBv1.0/G/DDATA/N1/D", true),
            ("spBv1.0/+/+/N1/#", "spBv1.0/G/NDATA/N2", false), ("spBv1.0/G/+/+", "spBv1.0/G/NDATA/N/D", false),
            ("spBv1.0/G/+/+", "spBv1.0/G/NDATA/N", true),
        ])
    func matches(filter: String, topic: String, expected: Bool) {
        #expect(TopicFilter.matches(filter, topic) == expected)
    }
}
