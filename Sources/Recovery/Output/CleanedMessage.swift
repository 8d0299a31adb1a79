/// Reads back the fields of a cleaned message that replays select on.
public enum CleanedMessage {
    private static let kTs = Array("ts".utf8)

    /// The message's `ts` (event time, epoch ms), nil if the payload has none.
    public static func eventTime(_ payload: [UInt8]) -> Int64? {
        var ts: Int64?
        payload.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            while let member = try? scanner.nextMember() {
                if member.key.elementsEqual(kTs), case .number(let n) = member.value { ts = n.integer }
            }
        }
        return ts
    }
}
