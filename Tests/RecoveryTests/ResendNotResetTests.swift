import Foundation
import Testing
import Wire
@testable import Recovery

/// A reading the gateway asked for (a resend request, the stale sensor's open-ended request, or
/// the open gap it is waiting on) is a resend or a late reading, never a sequence reset, however
/// far below the newest seq it lies (issue 29, item 1).
@Suite("Resend answers are never sequence resets")
struct ResendNotResetTests {
    static let base: Int64 = 1_795_660_000_000

    /// A scripted stream: readings (seq, ts) received at given times, with a tick every `tickEvery` ms.
    struct Script {
        var readings: [(at: Int64, seq: Int, ts: Int64)] = []
        var tickEvery: Int64 = 100

        mutating func add(_ seq: Int, ts: Int64, at: Int64) { readings.append((at, seq, ts)) }

        /// Runs the script; returns each publication with the time it was made.
        func run(_ h: inout Harness, until end: Int64) -> [(at: Int64, publication: Publication)] {
            var out: [(Int64, Publication)] = []
            let sorted = readings.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
            var i = 0
            var tick = h.now
            while tick <= end {
                while i < sorted.count, sorted[i].at <= tick {
                    for p in h.send(seq: sorted[i].seq, ts: sorted[i].ts, at: sorted[i].at) { out.append((sorted[i].at, p)) }
                    i += 1
                }
                for p in h.advance(tick - h.now) { out.append((tick, p)) }
                tick += tickEvery
            }
            return out
        }
    }

    /// What the contract's accounting and the dead letters say of an output.
    struct Outcome: CustomStringConvertible {
        var accounting: StreamAccounting
        var deadLetters: [String: Int]
        var restated: [UInt64]

        init(_ log: [Publication]) throws {
            let cleaned = try log.cleaned.map { try WireJSON.decode(CleanedReading.self, from: $0.payload) }
            accounting = StreamAccounting(cleaned)
            restated = cleaned.filter { $0.quality == .restated }.map(\.seq)
            deadLetters = Dictionary(log.of(.deadLetter).map { ($0.reason ?? "?", 1) }, uniquingKeysWith: +)
        }

        var covered: [UInt64] { accounting.coveredSeqs[StreamKey(sensorID: "s1", boot: nil)] ?? [] }
        /// Whether exactly `seqs` were covered (compared without printing thousands of seqs).
        func covers(_ seqs: ClosedRange<UInt64>) -> Bool { covered == Array(seqs) }
        var byQuality: [String: Int] { Dictionary(uniqueKeysWithValues: accounting.messagesByQuality.map { ($0.key.rawValue, $0.value) }) }

        var description: String {
            "published twice \(accounting.seqsCoveredTwice), order violations \(accounting.orderViolations), "
                + "by quality \(byQuality.sorted { $0.key < $1.key }), dead letters \(deadLetters.sorted { $0.key < $1.key }), "
                + "problems \(accounting.allProblems.prefix(3))"
        }
    }

    /// Seqs 0-49 one a second, a jump to 1600-1649 at `jump`, then the sensor's answer to the
    /// request for 50-1599, in order, one a millisecond, `answersAfter` ms after each start.
    static func jumpThenAnswers(_ t0: Int64, answersAfter: [Int64]) -> (script: Script, jump: Int64) {
        var script = Script()
        func ts(_ seq: Int) -> Int64 { Self.base + Int64(seq) * 1000 }
        for seq in 0..<50 { script.add(seq, ts: ts(seq), at: t0 + Int64(seq) * 10) }
        let jump = t0 + 3_000
        for seq in 1600..<1650 { script.add(seq, ts: ts(seq), at: jump + Int64(seq - 1600) * 2) }
        for delay in answersAfter {
            for seq in 50..<1600 { script.add(seq, ts: ts(seq), at: jump + delay + Int64(seq - 50)) }
        }
        return (script, jump)
    }

    @Test("seqs 0-49, then 1600-1649, then the answer to the resend request for 50-1599 within the window: every seq once, ok")
    func answerWithinTheWindow() throws {
        var h = Harness()
        // The sensor answers the request for 50-1599 at once.
        let (script, jump) = Self.jumpThenAnswers(h.now, answersAfter: [100])
        _ = script.run(&h, until: jump + 5_000)

        let outcome = try Outcome(h.log)
        #expect(outcome.accounting.allProblems.isEmpty, "\(outcome)")
        #expect(outcome.covers(0...1649), "\(outcome)")
        #expect(outcome.byQuality == ["ok": 1650], "\(outcome)")
        #expect(outcome.deadLetters.isEmpty, "\(outcome)")
        #expect(h.log.of(.resendRequest).map(\.text) == ["{\"from_seq\":50,\"to_seq\":1599,\"measurement\":\"temperature\"}"])
    }

    @Test("the same answer after the window closed: the gap is restated seq by seq, nothing published twice, no new epoch")
    func answerAfterTheWindow() throws {
        var h = Harness()
        // The answer comes 3 s later: 50-1599 were published as one gap (more than max_fill) by then.
        let (script, jump) = Self.jumpThenAnswers(h.now, answersAfter: [3_000])
        _ = script.run(&h, until: jump + 6_000)

        let outcome = try Outcome(h.log)
        #expect(outcome.accounting.allProblems.isEmpty, "\(outcome)")
        #expect(outcome.covers(0...1649), "\(outcome)")
        #expect(outcome.byQuality == ["ok": 100, "gap": 1, "restated": 1550], "\(outcome)")
        let restatedTheGap = outcome.restated == Array(50...1599)
        #expect(restatedTheGap, "restated \(outcome.restated.count) seqs: \(outcome.restated.prefix(3))...")
        #expect(outcome.deadLetters.isEmpty, "\(outcome)")
    }

    /// A sensor at 20 Hz whose readings 201-1600 never reached the gateway (a 70 s outage): the
    /// gateway marks it stale and asks `{"from_seq":201}`; when the network is back the sensor
    /// resends 201-1600 from its buffer, one every `spacing` ms, interleaved with its live
    /// readings from 1601 on.
    static func outage(resendSpacing spacing: Int64) -> (log: [(at: Int64, publication: Publication)], resentAt: [Int: Int64], harness: Harness) {
        var h = Harness()
        let t0 = h.now
        var script = Script()
        func ts(_ seq: Int) -> Int64 { Self.base + Int64(seq) * 50 }
        for seq in 0...200 { script.add(seq, ts: ts(seq), at: t0 + Int64(seq) * 50) }
        let back = t0 + 80_000
        for seq in 1601...1800 { script.add(seq, ts: ts(seq), at: t0 + Int64(seq) * 50) }
        var resentAt: [Int: Int64] = [:]
        for seq in 201...1600 {
            let at = back + 1 + Int64(seq - 201) * spacing
            resentAt[seq] = at
            script.add(seq, ts: ts(seq), at: at)
        }
        let log = script.run(&h, until: t0 + 100_000)
        return (log, resentAt, h)
    }

    @Test("after an outage the open-ended request's answers, interleaved with live readings, are ok when in time: nothing twice, no fill")
    func outageAnsweredInTime() throws {
        let run = Self.outage(resendSpacing: 1)
        let log = run.log.map(\.publication)
        #expect(log.of(.resendRequest).first?.text == "{\"from_seq\":201,\"measurement\":\"temperature\"}")
        let outcome = try Outcome(log)
        #expect(outcome.accounting.allProblems.isEmpty, "\(outcome)")
        #expect(outcome.covers(0...1800), "\(outcome)")
        #expect(outcome.byQuality == ["ok": 1801], "\(outcome)")
        #expect(outcome.deadLetters.isEmpty, "\(outcome)")
    }

    @Test("after an outage with a slow answer: what arrived in time is ok, the rest filled then restated once; nothing twice, nothing rate limited")
    func outageAnsweredSlowly() throws {
        let run = Self.outage(resendSpacing: 4)
        let log = run.log.map(\.publication)
        let outcome = try Outcome(log)
        #expect(outcome.accounting.allProblems.isEmpty, "\(outcome)")
        #expect(outcome.covers(0...1800), "\(outcome)")
        #expect(outcome.deadLetters.isEmpty, "\(outcome)")
        // Every seq not published ok was filled (synthetic or inside a gap) before its resend
        // arrived, and restated once when it did.
        let stream = StreamKey(sensorID: "s1", boot: nil)
        let filled = (201...1600).filter { outcome.accounting.quality(of: stream, seq: UInt64($0)) != .ok }
        #expect(!filled.isEmpty && filled.count < 1400, "\(outcome)")
        let restatedTheFilled = outcome.restated == filled.map(UInt64.init)
        #expect(restatedTheFilled, "restated \(outcome.restated.count), filled \(filled.count)")
        let fillTime: [UInt64: Int64] = Dictionary(
            run.log.compactMap { entry -> [(UInt64, Int64)]? in
                let p = entry.publication
                guard p.kind == .cleaned, let m = try? WireJSON.decode(CleanedReading.self, from: p.payload), m.quality == .synthetic || m.quality == .gap
                else { return nil }
                return m.coveredSeqs.map { ($0, entry.at) }
            }.flatMap { $0 }, uniquingKeysWith: min)
        let filledInTime = filled.filter { seq in fillTime[UInt64(seq)].map { run.resentAt[seq]! <= $0 } ?? true }
        #expect(filledInTime.isEmpty, "filled although their reading had arrived: \(filledInTime.prefix(5))")
    }

    @Test("a second answer to the same request, after all of it was published, is duplicates, not a reset")
    func answeredTwice() throws {
        var h = Harness()
        // 10 s after its first answer (everything published, the gap closed) the sensor answers
        // the request again.
        let (script, jump) = Self.jumpThenAnswers(h.now, answersAfter: [100, 10_000])
        _ = script.run(&h, until: jump + 14_000)

        let outcome = try Outcome(h.log)
        #expect(outcome.accounting.allProblems.isEmpty, "\(outcome)")
        #expect(outcome.covers(0...1649), "\(outcome)")
        #expect(outcome.byQuality == ["ok": 1650], "\(outcome)")
        #expect(outcome.deadLetters.isEmpty, "\(outcome)")
        #expect(h.engine.counters.duplicates == 1550)
    }

    @Test(
        "a network copy of the reading before a seq jump, arriving after the jump, is a duplicate: the jump's seqs do not count towards the fall back (fault simulator, seed 6161)"
    )
    func copyFromBeforeAJump() throws {
        var h = Harness()
        // Seqs 0-49, a jump to 1600-1649 whose request for 50-1599 is never answered (they are
        // published as one gap), then a copy of seq 49 with its own time.
        let (script, jump) = Self.jumpThenAnswers(h.now, answersAfter: [])
        _ = script.run(&h, until: jump + 5_000)
        h.send(seq: 49, ts: Self.base + 49_000)
        h.advance(5_000)

        let outcome = try Outcome(h.log)
        #expect(outcome.accounting.allProblems.isEmpty, "\(outcome)")
        #expect(outcome.covers(0...1649), "\(outcome)")
        #expect(outcome.byQuality == ["ok": 100, "gap": 1], "\(outcome)")
        #expect(h.engine.counters.duplicates == 1)
        // No epoch began: nothing asked again from seq 0 (the silent sensor's stale request asks from 1650).
        #expect(!h.log.of(.resendRequest).contains { $0.text.contains("\"from_seq\":0,") }, "\(h.log.of(.resendRequest).map(\.text))")
    }

    @Test("a fall back counts readings delivered: estimates and gaps not restated are left out, restated ones and held readings count")
    func fallBackCountsDeliveredReadings() {
        // Released 50-1648 (nextSeq 1649), 50-1599 a gap never delivered: 49 released above 49.
        #expect(SeqFallBack.delivered(above: 49, nextSeq: 1649, held: 0, estimates: [50...1599], restated: []) == 49)
        // Overlapping and unordered estimates are counted once; held readings count.
        #expect(SeqFallBack.delivered(above: 49, nextSeq: 1649, held: 3, estimates: [1000...1599, 50...1200, 0...10], restated: []) == 52)
        // Restated seqs were delivered after all.
        #expect(SeqFallBack.delivered(above: 49, nextSeq: 1649, held: 0, estimates: [50...1599], restated: Array(50...99)) == 99)
        #expect(SeqFallBack.delivered(above: 49, nextSeq: 1649, held: 0, estimates: [], restated: []) == 1599)
        #expect(SeqFallBack.delivered(above: 1649, nextSeq: 1649, held: 2, estimates: [0...10], restated: []) == 2)
    }

    @Test(
        "a sensor without a clock that went stale, was answered, and later restarted still starts a new epoch: the stale request's open range does not hide the fall back"
    )
    func resetAfterAStaleRequest() {
        var h = Harness()
        // Seqs 0-200, then silence past the stale time (an open-ended request from 201), then
        // 201-1500 (the answer and what followed).
        for seq in 0...200 {
            h.send(seq: seq, ts: Self.base + Int64(seq) * 1000, at: h.now + 1000)
            h.advance(0)
        }
        for _ in 0..<300 { h.advance(100) }
        #expect(h.log.of(.resendRequest).contains { $0.text == "{\"from_seq\":201,\"measurement\":\"temperature\"}" })
        for seq in 201...1500 { h.send(seq: seq, ts: Self.base + Int64(seq) * 1000, at: h.now + 1) }
        h.advance(2_000)
        h.log.removeAll()
        // Restarted without a clock: seq 2, its ts from the same start as before.
        h.send(seq: 2, ts: Self.base + 2_000)
        #expect(h.log.of(.resendRequest).map(\.text) == ["{\"from_seq\":0,\"to_seq\":1,\"measurement\":\"temperature\"}"])
    }

    @Test("genuine resets still start a new epoch: a fall by more than the threshold to a seq never asked for")
    func genuineResetStillWorks() {
        var h = Harness()
        for seq in 0...1500 { h.send(seq: seq, at: h.now + 1) }
        h.advance(2000)
        h.log.removeAll()
        h.send(seq: 2, ts: Self.base + 2_000_000)
        #expect(h.log.of(.resendRequest).map(\.text) == ["{\"from_seq\":0,\"to_seq\":1,\"measurement\":\"temperature\"}"])
        #expect(h.advance(2000).summary == ["0:synthetic", "1:synthetic", "2:ok"])
    }
}

/// What a sensor was asked to resend stays small however many requests it gets.
@Suite("Asked ranges")
struct AskedRangesTests {
    @Test("overlapping and touching requests merge; past the cap the closest two merge; old ones are forgotten")
    func bounded() {
        var a = AskedRanges()
        a.add(from: 10, to: 20, at: 0)
        a.add(from: 21, to: 30, at: 1)
        a.add(from: 25, to: 40, at: 2)
        #expect(a.ranges == [.init(from: 10, to: 40, askedAt: 2)])
        #expect(a.contains(10) && a.contains(40) && !a.contains(9) && !a.contains(41))
        a.add(from: 100, to: nil, at: 3)
        #expect(a.contains(UInt64.max) && !a.contains(99))
        for n in 0..<100 { a.add(from: UInt64(1000 + n * 10), to: UInt64(1000 + n * 10), at: 4) }
        // All merged into the open-ended range.
        #expect(a.ranges.count == 2)
        var b = AskedRanges()
        for n in 0..<100 { b.add(from: UInt64(n * 10 + (n >= 50 ? 1000 : 0)), to: UInt64(n * 10 + 1 + (n >= 50 ? 1000 : 0)), at: Int64(n)) }
        #expect(b.ranges.count == AskedRanges.cap)
        #expect(b.contains(0) && b.contains(1991) && !b.contains(1992))
        // Never asked and never merged over: the widest hole (500-1499) stays out.
        #expect(!b.contains(1000))
        b.prune(now: 1000 + 50, horizon: 1000)
        #expect(b.ranges.allSatisfy { $0.askedAt >= 50 })
    }
}

extension AskedRangesTests {
    @Test("an open-ended range survives a snapshot round trip")
    func openEndedRoundTrip() throws {
        var a = AskedRanges()
        a.add(from: 201, to: nil, at: 5)
        a.add(from: 7, to: 9, at: 6)
        let back = try JSONDecoder().decode(AskedRanges.self, from: JSONEncoder().encode(a))
        #expect(back == a)
        #expect(back.contains(UInt64.max - 1) && back.contains(201) && !back.contains(200))
    }
}
