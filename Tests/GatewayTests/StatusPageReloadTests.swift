import Foundation
import Recovery
import Testing
@testable import Gateway

/// The status page follows a SIGHUP reload (issue 28, found black-box: its valid-range band
/// kept the range from start).
@Suite("The status page after a reload")
struct StatusPageReloadTests {
    @Test("the page's valid-range band shows the range a reload set, not the one from start")
    func rangeFollowsReload() throws {
        let configuration = try ConfigurationLoader.load(configFile: nil, environment: [:], flags: ["http": "off"], defaultGatewayID: "gw")
        let live = LiveSettings(configuration)
        let page = GatewayHTTP.handler(status: StatusBoard(), configuration: configuration, live: live)
        #expect(page("/").body.contains("shaded band: the valid range, 50-55 °C"))
        var engine = configuration.engine
        engine.validMin = 40
        engine.validMax = 60
        live.apply(engine: engine, replay: configuration.replay, logLevel: configuration.logLevel)
        let after = page("/").body
        #expect(after.contains("shaded band: the valid range, 40-60 °C"), "\(after.prefix(3000))")
    }
}
