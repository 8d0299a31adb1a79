import Foundation
import Gateway
import Logging
import Recovery
import Testing
import TestSupport

/// `json-fields` (temperature's other field names) is a setting like every other: flag,
/// environment, file, `config show`, a reload, and errors that name it.
@Suite("The json-fields setting")
struct JSONFieldsSettingTests {
    @Test("set by flag, environment or file (flags win); unset is the contract's names only; applied on a reload")
    func sources() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.file("gateway.conf")
        try "json-fields: value=temp_c, seq=sn\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try ConfigurationLoader.load(configFile: file, environment: [:], flags: [:], defaultGatewayID: "h")
        #expect(fromFile.engine.jsonFields?.description == "value=temp_c,seq=sn")
        #expect(Setting.named("json-fields")?.value(in: fromFile) == "value=temp_c,seq=sn")
        let fromEnvironment = try ConfigurationLoader.load(
            configFile: file, environment: ["SENSOR_GATEWAY_JSON_FIELDS": "ts=time"], flags: [:], defaultGatewayID: "h")
        #expect(fromEnvironment.engine.jsonFields?.description == "ts=time")
        let fromFlag = try ConfigurationLoader.load(
            configFile: file, environment: ["SENSOR_GATEWAY_JSON_FIELDS": "ts=time"], flags: ["json-fields": "boot=epoch"], defaultGatewayID: "h")
        #expect(fromFlag.engine.jsonFields?.description == "boot=epoch")
        let defaults = try ConfigurationLoader.load(configFile: nil, environment: [:], flags: [:], defaultGatewayID: "h")
        #expect(defaults.engine.jsonFields == nil)

        let live = LiveSettings(defaults)
        let outcome = SettingsReload.apply(fromFile, live: live, logLevel: LiveLogLevel(.info), logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() })
        #expect(outcome == .init(levelChanged: false, applied: ["json-fields"]))
        #expect(live.current.engine.jsonFields == fromFile.engine.jsonFields)
    }

    @Test("a bad list names the setting and the value, and exits 78 from a file")
    func errors() throws {
        try ConfigFileTests.expectRefused("json-fields: value=seq\n", line: 1, key: "json-fields", problem: "`seq` already names a field")
        try ConfigFileTests.expectRefused("json-fields: temp_c\n", line: 1, key: "json-fields", problem: "is not field=name")
    }
}
