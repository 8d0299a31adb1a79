import Foundation
import Logging
import Recovery
import Wire

extension Setting {
    /// Every setting, in the order `--help`, `config show` and the start-up summary list them,
    /// and in which they are applied (checks that involve two settings run after all of them:
    /// `ConfigurationLoader.checkCombinations`). Adding a setting is adding one entry here.
    public static let all: [Setting] = [
        Setting(
            name: "broker", help: "The MQTT broker: mqtt://HOST:PORT, or mqtts://HOST:PORT for TLS.", valueName: "url",
            apply: { raw, c in
                guard let url = BrokerURL(raw) else { throw Problem("expected mqtt://HOST:PORT or mqtts://HOST:PORT") }
                (c.brokerScheme, c.brokerHost, c.brokerPort) = (url.scheme, url.host, url.port)
            }, show: { "\($0.brokerScheme.rawValue)://\($0.brokerHost):\($0.brokerPort)" }),
        Setting(
            name: "gateway-id", help: "The gateway's id in topics.", valueName: "id",
            apply: { raw, c in
                guard SensorID.isValid(raw) else { throw Problem("use 1-64 characters of A-Z a-z 0-9 _ . -") }
                c.gatewayID = raw
                c.engine.gatewayID = raw
            }, show: { $0.gatewayID }),
        Setting(
            name: "client-id", help: "The MQTT client id of the input connection (the output one adds -out).", valueName: "id",
            apply: { raw, c in
                guard !raw.isEmpty, raw.utf8.count <= 65535 else { throw Problem("must not be empty") }
                c.clientID = raw
            }, show: { $0.effectiveClientID }),
        Setting(
            name: "data-dir", help: "The journal, engine snapshot and checkpoint.", valueName: "dir",
            apply: { raw, c in
                guard !raw.isEmpty else { throw Problem("must not be empty") }
                c.dataDirectory = raw
            }, show: { $0.dataDirectory }),
        .milliseconds("reorder-window-ms", "How long to wait for missing readings.", 0...3_600_000, \.engine.reorderWindowMs),
        .seconds("late-horizon-s", "How long a published estimate may still be restated.", 0...30 * 86_400, \.engine.lateHorizonMs),
        .integer(
            "max-fill", "The longest run of missing readings filled with synthetic ones (longer: one gap message).", unit: "readings",
            0...1_000_000, store: { v, c in c.engine.maxFill = UInt64(v) }, show: { "\($0.engine.maxFill)" }),
        .number("valid-min", "The lowest valid temperature, °C.", \.engine.validMin),
        .number("valid-max", "The highest valid temperature, °C.", \.engine.validMax),
        .choice("fill", "How synthetic readings are estimated.", \.engine.fill),
        Setting(
            name: "topic-filter", help: "The inbound topic filter; its + level is the sensor id.", valueName: "filter",
            apply: { raw, c in
                guard let p = TopicPattern(raw) else { throw Problem("needs exactly one `+` level for the sensor id and no `#`") }
                if let own = Topics.gatewayOutputOverlapping(raw) {
                    throw Problem("would also receive the gateway's own output (\(own)), which it would take as readings again and again")
                }
                c.engine.topicPattern = p
            }, show: { $0.engine.topicPattern.filter }),
        Setting(
            name: "csv-columns", help: "The column order of CSV payloads (seq, ts and value required; status and boot optional).",
            valueName: "columns",
            apply: { raw, c in
                // The contract's order is stored as nil, as when unset: same settings, same engine.
                do throws(CSVColumns.Invalid) { c.engine.csvColumns = try CSVColumns(parsing: raw).nilIfStandard } catch { throw Problem(error.message) }
            }, show: { ($0.engine.csvColumns ?? .standard).description }),
        Setting(
            name: "json-fields",
            help: "Other names firmware gives temperature readings' JSON fields, read besides the contract's (value=temp_c,seq=sn,ts=time).",
            valueName: "field=name,...",
            apply: { raw, c in
                let text = raw.trimmingCharacters(in: .whitespaces)
                do throws(JSONFieldNames.Invalid) { c.engine.jsonFields = text.isEmpty ? nil : try JSONFieldNames(parsing: text) } catch {
                    throw Problem(error.message)
                }
            }, show: { $0.engine.jsonFields?.description ?? "" }),
        .onOff(
            "latest",
            "Publish each sensor's newest reading, retained, on latest/<sensor>/temperature (off: one publication a reading less to journal and send).",
            store: { on, c in c.engine.withoutLatest = on ? nil : true }, isOn: { $0.engine.withoutLatest != true }),
        .size("max-payload-bytes", "Larger payloads are dead-lettered payload_too_large.", 64...(1 << 20), \.engine.maxPayloadBytes),
        .integer(
            "reset-threshold", "A seq falling back further than this starts a new epoch.", unit: "seqs", 1...Int64(ReadingParser.maxSeq),
            store: { v, c in c.engine.resetThreshold = UInt64(v) }, show: { "\($0.engine.resetThreshold)" }),
        .seconds("aggregate-window-s", "The width of the aggregate windows.", 1...86_400, \.engine.aggregateWindowMs),
        .integer(
            "stale-factor", "A sensor silent for this many of its periods is stale.", unit: "periods", 1...1000,
            store: { v, c in c.engine.staleFactor = v }, show: { "\($0.engine.staleFactor)" }),
        .duration(
            "future-tolerance-s", "Readings whose ts is further ahead of the gateway's clock are dead-lettered bad_value:ts.",
            plainUnit: 1000, 1000...3_650 * 86_400_000, store: { v, c in (c.engine.futureToleranceMs, c.replay.futureToleranceMs) = (v, v) },
            show: { $0.engine.futureToleranceMs.map(SettingUnits.showSeconds) ?? "" }),
        .integer(
            "max-sensors",
            "Sensors tracked at most; at the cap a new id replaces one silent for a minute (a few seconds if heard once), or is dead-lettered too_many_sensors.",
            unit: "sensors", 1...10_000_000, store: { v, c in c.engine.maxSensors = Int(v) },
            show: { $0.engine.maxSensors.map(String.init) ?? "unlimited" }),
        .duration(
            "sensor-retention-s", "Sensors silent this long are forgotten and announced expired; 0 keeps them.", plainUnit: 1000,
            0...3_650 * 86_400_000, store: { v, c in c.engine.sensorRetentionMs = v == 0 ? nil : v },
            show: { SettingUnits.showSeconds($0.engine.sensorRetentionMs ?? 0) }),
        .size("journal-max-bytes", "The journal's size on disk (256MiB, 1GiB; 256M is 256 MiB).", (1 << 20)...(16 << 30), \.journalMaxBytes),
        .choice(
            "fsync",
            "When the journal syncs: before every acknowledgement and publication, as soon as something waits on it (within fsync-max-per-second), or never.",
            \.fsync),
        .integer(
            "fsync-max-per-second",
            "With fsync interval: the most journal syncs a second, a flash-wear budget; cleaned output waits for the sync (higher: less latency, more syncs, each writing a 4 KiB page again).",
            unit: "syncs", 1...100_000, store: { v, c in c.fsyncMaxPerSecond = Int(v) }, show: { "\($0.fsyncMaxPerSecond)" }),
        .milliseconds(
            "snapshot-interval-ms", "How often the engine state is saved, letting the journal forget older input.", 100...3_600_000,
            \.snapshotIntervalMs),
        .integer(
            "restart-replay-max-records",
            "A restart replays the journal after the last engine snapshot: past this many records, a snapshot is due at once, whatever the journal's growth (lower: shorter restarts, more snapshot bytes on flash at a large fleet; 0: no bound).",
            unit: "records", 0...1_000_000_000, store: { v, c in c.restartReplayMaxRecords = UInt64(v) },
            show: { "\($0.restartReplayMaxRecords)" }),
        .integer(
            "max-in-flight",
            "Publications sent to the broker and not yet acknowledged, at most (a distant broker needs more; each costs CPU per acknowledgement).",
            unit: "publications", 1...1000, store: { v, c in c.maxInFlight = Int(v) }, show: { "\($0.maxInFlight)" }),
        .integer(
            "replay-max-concurrent", "Replay requests answered at once; more get an error reply (0 turns replay off).", unit: "requests",
            0...64, store: { v, c in c.replay.maxConcurrent = Int(v) }, show: { "\($0.replay.maxConcurrent)" }),
        .seconds("replay-max-window-s", "The widest from-to window one replay request may ask for.", 1...31_622_400, \.replay.maxWindowMs),
        sparkplugTopicFilter, sparkplugMetrics, sparkplugRebirth, sparkplugEdgeNode, sparkplugPrimaryHost, cleanedTopics, sparkplugHostID,
        Setting(
            name: "http", help: "Where /metrics, /healthz and the status page listen (off: nowhere).", valueName: "HOST:PORT|off",
            apply: { raw, c in
                if raw == "off" { c.http = nil; return }
                guard let colon = raw.lastIndex(of: ":"), let port = Int32(raw[raw.index(after: colon)...]), (0...65535).contains(port),
                    !raw[..<colon].isEmpty
                else { throw Problem("expected HOST:PORT or off") }
                // An IPv6 address in brackets, as in a URL ([::1]:9464), is the address inside
                // them (found black-box, 47th review: refused as a host name that does not resolve).
                var host = raw[..<colon]
                if host.hasPrefix("["), host.hasSuffix("]"), host.count > 2 { host = host.dropFirst().dropLast() }
                c.http = (String(host), port)
            }, show: { $0.http.map { $0.host.contains(":") ? "[\($0.host)]:\($0.port)" : "\($0.host):\($0.port)" } ?? "off" }),
        .file("ca-file", "CA certificate for mqtts (PEM).", \.caFile, check: TLSFiles.certificateProblem),
        .file("cert", "Client certificate for mqtts (PEM; with key).", \.certFile, check: TLSFiles.certificateProblem),
        .file("key", "Client key for mqtts (PEM, not encrypted; with cert).", \.keyFile, check: TLSFiles.keyProblem),
        Setting(name: "username", help: "MQTT user name.", valueName: "name", apply: { raw, c in c.username = raw }, show: { $0.username ?? "" }),
        Setting(
            name: "password-file", help: "A file holding the MQTT password (never put it on the command line).", valueName: "file",
            apply: { raw, c in
                guard let data = FileManager.default.contents(atPath: raw), let text = String(data: data, encoding: .utf8) else {
                    throw Problem("file not readable")
                }
                c.passwordFile = raw
                c.password = Secret(text.trimmingCharacters(in: .newlines))
            }, show: { $0.passwordFile ?? "" }),
        Setting(
            name: "log-level", help: "The least severe level logged (SIGHUP applies a change at once).",
            valueName: Logger.Level.allCases.map(\.rawValue).joined(separator: "|"),
            apply: { raw, c in
                guard let level = Logger.Level(rawValue: raw.trimmingCharacters(in: .whitespaces)) else {
                    throw Problem("expected \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                c.logLevel = level
            }, show: { $0.logLevel.rawValue }),
        .choice("log-format", "text (with syslog priorities under systemd) or json.", \.logFormat),
    ]

    /// The setting called `name`, if there is one.
    public static func named(_ name: String) -> Setting? { all.first { $0.name == name } }
}
