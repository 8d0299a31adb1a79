/// The rules for sensor ids and for finding one in a topic.
public enum SensorID {
    /// 1-64 characters of `A-Z a-z 0-9 _ . -`, and not `.` or `..` (they would make topic and
    /// file names ambiguous).
    public static func isValid<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        guard (1...64).contains(bytes.count) else { return false }
        for c in bytes {
            switch c {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"): continue
            default: return false
            }
        }
        if bytes.allSatisfy({ $0 == UInt8(ascii: ".") }) && bytes.count <= 2 { return false }
        return true
    }

    public static func isValid(_ id: String) -> Bool { isValid(Array(id.utf8)) }
}
