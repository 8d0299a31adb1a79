/// Reads back the fields of a cleaned message that replays select on.
public enum CleanedMessage {
    private static let kTs = Array("ts".utf8)
    private static let kQuality = Array("quality".utf8)
    private static let kRestated = Array("restated".utf8)

    /// The message's `ts` (event time, epoch ms), nil if the payload has none.
    public static func eventTime(_ payload: [UInt8]) -> Int64? { eventTimeAndLateness(payload)?.ts }

    /// The message's `ts`, and whether it is `restated`: a late reading published out of its
    /// stream's order, whose `ts` says nothing of where the stream stood when it was journaled.
    public static func eventTimeAndLateness(_ payload: [UInt8]) -> (ts: Int64, restated: Bool)? {
        var ts: Int64?
        var restated = false
        payload.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            while let member = try? scanner.nextMember() {
                if member.key.elementsEqual(kTs), case .number(let n) = member.value { ts = n.integer }
                if member.key.elementsEqual(kQuality), case .string(let q, _) = member.value { restated = q.elementsEqual(kRestated) }
            }
        }
        return ts.map { ($0, restated) }
    }
}
