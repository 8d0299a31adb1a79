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
}
