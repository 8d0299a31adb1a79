import Foundation

/// Scores cleaned output against the simulator's truth and checks the contract's guarantees.
struct Verifier {
    struct TruthRow {
        var temperature: Double
        var fault: String
    }

    struct Report {
        var truthReadings = 0
        var covered = 0
        var byQuality: [String: Int] = [:]
        var skipped = 0
        var skippedRecoveredByResend = 0
        var skippedSynthesized = 0
        var skippedInGap = 0
        var syntheticErrors: [Double] = []
        var correctedErrors: [Double] = []
        var orderViolations = 0
        var conflictingDuplicates = 0
        var seqPublishedTwice = 0
        var outOfRange = 0
        var internalHoles = 0
        var trailingMissing = 0
        /// Streams (sensor and boot) of which nothing at all came out: refused or never seen.
        var silentStreams = 0

        var broken: Bool { orderViolations + conflictingDuplicates + seqPublishedTwice + outOfRange + internalHoles > 0 }

        func table() -> String {
            func mae(_ e: [Double]) -> String { e.isEmpty ? "-" : String(format: "%.3f °C", e.reduce(0, +) / Double(e.count)) }
            func pct(_ n: Int, _ d: Int) -> String { d == 0 ? "-" : String(format: "%.1f%%", Double(n) * 100 / Double(d)) }
            let rows: [(String, String)] = [
                ("readings measured (truth)", "\(truthReadings)"),
                ("covered by cleaned output", "\(covered) (\(pct(covered, truthReadings)))"),
                ("  ok", "\(byQuality["ok", default: 0])"),
                ("  corrected", "\(byQuality["corrected", default: 0])"),
                ("  synthetic", "\(byQuality["synthetic", default: 0])"),
                ("  in gap messages", "\(byQuality["gap-covered", default: 0])"),
                ("  restated later", "\(byQuality["restated", default: 0])"),
                ("readings lost on the network", "\(skipped)"),
                ("  recovered by resend", "\(skippedRecoveredByResend)"),
                ("  synthesized", "\(skippedSynthesized)"),
                ("  inside a gap", "\(skippedInGap)"),
                ("mean abs error, synthetic", mae(syntheticErrors)),
                ("mean abs error, corrected", mae(correctedErrors)),
                ("order violations", "\(orderViolations)"),
                ("duplicates with differing content", "\(conflictingDuplicates)"),
                ("seqs published twice", "\(seqPublishedTwice)"),
                ("estimates outside the valid range", "\(outOfRange)"),
                ("holes (seq skipped in output)", "\(internalHoles)"),
                ("outside the covered span", "\(trailingMissing)"),
                ("  streams with no output at all", "\(silentStreams)"),
                ("verdict", broken ? "FAIL: the output breaks the contract" : "PASS"),
            ]
            let width = rows.map(\.0.count).max()!
            return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
        }
    }

    var validRange: ClosedRange<Double> = 50...55

    static func loadTruth(_ path: String) throws -> [String: TruthRow] {
        var out: [String: TruthRow] = [:]
        for obj in try jsonLines(path) {
            guard let s = obj["sensor_id"] as? String, let seq = (obj["seq"] as? NSNumber)?.uint64Value,
                let t = (obj["temperature"] as? NSNumber)?.doubleValue
            else { continue }
            let boot = (obj["boot"] as? NSNumber)?.intValue
            out[key(s, boot, seq)] = TruthRow(temperature: t, fault: obj["fault"] as? String ?? "none")
        }
        return out
    }

    /// Reads JSON objects, one per line; a line like `topic {json}` (mosquitto_sub -v) is accepted.
    static func jsonLines(_ path: String) throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw VerifierError("cannot read \(path)")
        }
        return text.split(separator: "\n").compactMap { line in
            guard let brace = line.firstIndex(of: "{") else { return nil }
            return try? JSONSerialization.jsonObject(with: Data(line[brace...].utf8)) as? [String: Any]
        }
    }

    static func key(_ sensor: String, _ boot: Int?, _ seq: UInt64) -> String { "\(sensor)/\(boot.map(String.init) ?? "-")/\(seq)" }

    func verify(truth: [String: TruthRow], cleaned: [[String: Any]]) -> Report {
        var r = Report()
        r.truthReadings = truth.count
        var seen: [String: String] = [:]
        var coveredBy: [String: String] = [:]
        var lastSeq: [String: UInt64] = [:]
        for obj in cleaned {
            guard let sensor = obj["sensor_id"] as? String, let seq = (obj["seq"] as? NSNumber)?.uint64Value,
                let quality = obj["quality"] as? String
            else { continue }
            let boot = (obj["boot"] as? NSNumber)?.intValue
            let text = String(decoding: (try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
            let dedupe = "\(Self.key(sensor, boot, seq))/\(quality)"
            if let earlier = seen[dedupe] {
                if earlier != text { r.conflictingDuplicates += 1 }
                continue
            }
            seen[dedupe] = text
            r.byQuality[quality, default: 0] += 1
            if quality == "restated" { continue }
            let stream = "\(sensor)/\(boot.map(String.init) ?? "-")"
            if let last = lastSeq[stream], seq <= last { r.orderViolations += 1 }
            let seqs: [UInt64]
            if quality == "gap", let f = (obj["from_seq"] as? NSNumber)?.uint64Value, let t = (obj["to_seq"] as? NSNumber)?.uint64Value {
                seqs = Array(f...min(t, f + 1_000_000))
                r.byQuality["gap-covered", default: 0] += seqs.count
                lastSeq[stream] = t
            } else {
                seqs = [seq]
                lastSeq[stream] = seq
            }
            for s in seqs {
                let k = Self.key(sensor, boot, s)
                if coveredBy[k] != nil { r.seqPublishedTwice += 1 }
                coveredBy[k] = quality
            }
            if quality == "corrected" || quality == "synthetic", let v = (obj["temperature"] as? NSNumber)?.doubleValue {
                if !validRange.contains(v) { r.outOfRange += 1 }
                if let t = truth[Self.key(sensor, boot, seq)] {
                    if quality == "synthetic" { r.syntheticErrors.append(abs(v - t.temperature)) } else { r.correctedErrors.append(abs(v - t.temperature)) }
                }
            }
        }
        // Coverage, and holes: truth seqs inside a stream's covered span that were never covered.
        var spans: [String: ClosedRange<UInt64>] = [:]
        for k in coveredBy.keys {
            let parts = k.split(separator: "/")
            let stream = "\(parts[0])/\(parts[1])", seq = UInt64(parts[2])!
            spans[stream] = spans[stream].map { min($0.lowerBound, seq)...max($0.upperBound, seq) } ?? seq...seq
        }
        var silent = Set<String>()
        for (k, row) in truth {
            let parts = k.split(separator: "/")
            let stream = "\(parts[0])/\(parts[1])", seq = UInt64(parts[2])!
            if spans[stream] == nil { silent.insert(stream) }
            let quality = coveredBy[k]
            if quality != nil { r.covered += 1 } else if let span = spans[stream], span.contains(seq) { r.internalHoles += 1 } else { r.trailingMissing += 1 }
            if row.fault == "skip" {
                r.skipped += 1
                switch quality {
                case "ok": r.skippedRecoveredByResend += 1
                case "synthetic": r.skippedSynthesized += 1
                case "gap": r.skippedInGap += 1
                default: break
                }
            }
        }
        r.silentStreams = silent.count
        return r
    }
}

struct VerifierError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
