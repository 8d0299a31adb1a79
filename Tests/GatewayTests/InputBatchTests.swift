import Recovery
import Testing
@testable import Gateway

/// A large batch of journaled input is run over several turns, and its tick after its last input.
@Suite("Input batch split over turns")
struct InputBatchTests {
    static func inputs(_ count: Int) -> [IngestJournal.Input] {
        (0..<count).map { IngestJournal.Input(seq: UInt64($0 + 1), time: 1_000, topic: "sensors/s/temperature", payload: []) }
    }

    @Test("2,500 inputs and a tick: parts of at most a turn's worth, in order, the tick with the last part")
    func splitsInOrder() {
        var batch = InputBatch()
        batch.start(Self.inputs(2_500), tick: .init(seq: 2_501, time: 1_001))
        var seqs: [UInt64] = []
        var ticks: [UInt64] = []
        var parts = 0
        while !batch.isEmpty {
            let part = batch.nextPart()
            let (inputs, tick) = (part.inputs, part.tick)
            #expect(inputs.count <= InputBatch.perTurn)
            #expect(ticks.isEmpty, "nothing may run after the tick")
            seqs += inputs.map(\.seq)
            if let tick { ticks.append(tick.seq) }
            parts += 1
        }
        #expect(seqs == Array(1...2_500))
        #expect(ticks == [2_501])
        #expect(parts == 3)
        #expect(batch.split == 1)
    }

    @Test("a part stopped early (its output bound reached) is given back with its tick: the next part starts where it stopped, the tick last")
    func putBackKeepsOrder() {
        var batch = InputBatch()
        batch.start(Self.inputs(300), tick: .init(seq: 301, time: 1_001))
        let first = batch.nextPart()
        #expect(first.inputs.count == 300 && first.tick?.seq == 301 && batch.isEmpty)
        batch.putBack(first, from: 120)
        #expect(!batch.isEmpty)
        let rest = batch.nextPart()
        #expect(rest.inputs.map(\.seq) == Array(121...300))
        #expect(rest.tick?.seq == 301 && batch.isEmpty)
    }

    @Test("a batch within a turn's worth runs at once and is not counted as split; a tick alone runs too")
    func smallBatch() {
        var batch = InputBatch()
        batch.start(Self.inputs(10), tick: nil)
        let first = batch.nextPart()
        let (inputs, tick) = (first.inputs, first.tick)
        #expect(inputs.count == 10 && tick == nil && batch.isEmpty)
        batch.start([], tick: .init(seq: 11, time: 1_001))
        #expect(!batch.isEmpty)
        let last = batch.nextPart()
        let (none, onlyTick) = (last.inputs, last.tick)
        #expect(none.isEmpty && onlyTick?.seq == 11 && batch.isEmpty)
        #expect(batch.split == 0)
    }

    @Test("new engine settings taken with a batch come after its last input and before its tick")
    func settingsAfterInputs() {
        var batch = InputBatch()
        var settings = EngineConfiguration()
        settings.validMax = 60
        batch.start(Self.inputs(1_500), configuration: (seq: 1_501, time: 1_001, configuration: settings), tick: .init(seq: 1_502, time: 1_001))
        let first = batch.nextPart()
        #expect(first.inputs.count == InputBatch.perTurn && first.configuration == nil && first.tick == nil)
        let second = batch.nextPart()
        #expect(second.inputs.last?.seq == 1_500)
        #expect(second.configuration?.seq == 1_501 && second.configuration?.configuration.validMax == 60)
        #expect(second.tick?.seq == 1_502)
        #expect(batch.isEmpty)
    }
}
