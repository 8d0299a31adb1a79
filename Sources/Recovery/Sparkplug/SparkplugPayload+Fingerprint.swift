import Sparkplug

extension SparkplugPayload {
    /// A fingerprint of what this message, on `topic`, says (`SparkplugSequence.isCopy`): each
    /// metric's name, alias, datatype, value and status (`Quality` good or not), in order. Not
    /// its times: a copy stamped again is still a copy, as for a JSON sensor. Never 0 (0 stands
    /// for none known), and the same in every run (FNV-1a, no seeded hashing), so a snapshot's
    /// fingerprints compare after a restart.
    func fingerprint(topic: String) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        func add(_ byte: UInt8) {
            h ^= UInt32(byte)
            h &*= 0x0100_0193
        }
        func add(_ word: UInt64) {
            for shift in stride(from: 0, to: 64, by: 8) { add(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        for b in topic.utf8 { add(b) }
        for m in metrics {
            add(UInt8(0x1E))
            if let name = m.name {
                add(UInt8(1))
                for b in name.utf8 { add(b) }
            }
            if let alias = m.alias {
                add(UInt8(2))
                add(alias)
            }
            if let datatype = m.datatype {
                add(UInt8(3))
                add(UInt64(datatype.rawValue))
            }
            switch m.value {
            case .int(let v): add(UInt8(4)); add(UInt64(v))
            case .long(let v): add(UInt8(5)); add(v)
            case .float(let v): add(UInt8(6)); add(UInt64(v.bitPattern))
            case .double(let v): add(UInt8(7)); add(v.bitPattern)
            case .boolean(let v): add(UInt8(8)); add(UInt8(v ? 1 : 0))
            case .string(let v):
                add(UInt8(9))
                for b in v.utf8 { add(b) }
            case .null: add(UInt8(10))
            case .other: add(UInt8(11))
            }
            let good = m.quality.map { $0 >= SparkplugMetric.QualityCode.good } ?? true
            add(UInt8(good ? 12 : 13))
        }
        return h == 0 ? 1 : h
    }
}
