import Testing

@testable import Gateway

@Suite struct RisingCountTests {
    @Test("the first look only remembers; later looks report rises, never falls or standstills")
    func rises() {
        var count = RisingCount()
        #expect(count.rise(to: 7) == nil)  // restored at start: not news
        #expect(count.rise(to: 7) == nil)
        #expect(count.rise(to: 10) == 3)
        #expect(count.rise(to: 4) == nil)  // a lower total (another engine) is no rise...
        #expect(count.rise(to: 12) == 2)  // ...and the high mark stays
        #expect(count.seen == 12)
    }

    @Test(
        "a report counts every rise since the last report, not only the last look's (found black-box: a warning logged once a minute said new=47 beside total=4950)"
    )
    func reportsSinceTheLastReport() {
        var count = RisingCount()
        #expect(count.rise(to: 100) == nil)  // restored at start
        #expect(count.rise(to: 102) == 2)
        #expect(count.report(102) == 2)
        // Rises not reported (the warning's minute not over) add up in the next report.
        #expect(count.rise(to: 150) == 48)
        #expect(count.rise(to: 4950) == 4800)
        #expect(count.report(4950) == 4848)
        #expect(count.rise(to: 4951) == 1)
        #expect(count.report(4951) == 1)
    }
}
