/// What the gateway writes to its journal. Inputs (messages and ticks) are the engine's whole
/// input, so replaying them reproduces its output; outputs are the publications it made, so a
/// restart can republish what the broker never acknowledged and replays can serve past windows.
public enum RecordType: UInt16, CaseIterable, Sendable {
    /// An inbound message: `topicLength u16 | topic | payload`; the record time is the receive time.
    case message = 1
    /// A clock tick fed to the engine at the record time: an empty payload, or one byte when
    /// the input connection went down (0) or came back (1) with it (`JournalRecords.encodeTick`).
    case tick = 2
    /// A publication: `kind u8 | retain u8 | topicLength u16 | topic | payload`.
    case publication = 3
    /// New engine settings from a reload (`EngineConfiguration` as JSON), applied after the
    /// input journaled before it.
    case configuration = 4
}

extension RecordType {
    /// The record type's name in metrics (`sensor_gateway_journal_appended_bytes_by_type_total`).
    public var label: String {
        switch self {
        case .message: "message"
        case .tick: "tick"
        case .publication: "publication"
        case .configuration: "configuration"
        }
    }
}
