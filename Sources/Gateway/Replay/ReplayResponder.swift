import Foundation
import Journal
import Logging
import MQTT
import Recovery
import Wire

/// Answers `gateway/<id>/replay` requests (docs/INTERFACE.md section 5).
enum ReplayResponder {
    struct Request {
        var requestID: String
        var query: ReplayQuery
        var replyTopic: String
        /// nil: each message as published on `cleaned/` (`"format":"json"`, the default).
        var format: ExportFormat? = nil
    }

    enum Parsed {
        case request(Request)
        /// A bad request: answer on `replyTopic` with the error; dead-lettered when no reply
        /// topic can be had (`ReplayDeadLetter`).
        case invalid(requestID: String?, replyTopic: String?, error: String)
    }

    static func parse(_ payload: [UInt8], limits: ReplayLimits = ReplayLimits()) -> Parsed {
        guard var request = try? WireJSON.decode(ReplayRequest.self, from: payload), let members = TopLevelMembers(payload) else {
            return .invalid(requestID: nil, replyTopic: nil, error: "request is not a JSON object")
        }
        // Numbers read as a reading's `ts` is: one written with a fraction below 10^11 is seconds.
        if let ms = members.times["from"] { request.from = ms }
        if let ms = members.times["to"] { request.to = ms }
        guard let id = request.requestID, !id.isEmpty, id.utf8.count <= 128, !id.contains("/"), !id.contains("+"), !id.contains("#"),
            !hasControlCharacters(id)
        else {
            // Answered on the reply topic the request gave, when that one is usable.
            let given = request.replyTopic.flatMap { replyTopicProblem($0) == nil ? $0 : nil }
            return .invalid(
                requestID: given == nil ? nil : request.requestID, replyTopic: given,
                error: "request_id must be 1-128 bytes without / + # or control characters")
        }
        let reply = request.replyTopic ?? Topics.replayReply(id)
        if let problem = replyTopicProblem(reply) {
            return .invalid(requestID: id, replyTopic: Topics.replayReply(id), error: problem)
        }
        if let key = members.repeatedKeys.first {
            // Answered for neither copy (found black-box: the decoder kept the first).
            return .invalid(requestID: id, replyTopic: reply, error: "\(key) given more than once")
        }
        guard let from = request.from else { return .invalid(requestID: id, replyTopic: reply, error: "from must be epoch ms or RFC 3339") }
        guard let to = request.to else { return .invalid(requestID: id, replyTopic: reply, error: "to must be epoch ms or RFC 3339") }
        // `from == to` is a window with nothing in it (`from <= ts < to`): answered `done`, 0.
        guard from <= to else { return .invalid(requestID: id, replyTopic: reply, error: "from must not be after to") }
        // `to - from` of two extreme times overflows Int64; from <= to, so the unsigned
        // difference of their bit patterns is the exact width.
        guard UInt64(bitPattern: to &- from) <= UInt64(max(0, limits.maxWindowMs)) else {
            return .invalid(
                requestID: id, replyTopic: reply,
                error: "window too wide: at most \(limits.maxWindowMs / 1000) s per request (replay-max-window-s); ask in pieces")
        }
        guard let sensor = request.sensorID, sensor == "*" || SensorID.isValid(sensor) else {
            return .invalid(requestID: id, replyTopic: reply, error: "sensor_id must be a valid sensor id or *")
        }
        var format: ExportFormat?
        switch request.format {
        case nil, "json": format = nil
        case "csv": format = .csv
        case "influx": format = .influx
        default: return .invalid(requestID: id, replyTopic: reply, error: "format must be json, csv or influx")
        }
        return .request(
            Request(
                requestID: id,
                query: ReplayQuery(
                    sensorID: sensor == "*" ? nil : sensor, from: from, to: to,
                    futureToleranceMs: limits.futureToleranceMs), replyTopic: reply, format: format))
    }

    /// Control characters (C0, DEL and C1) and Unicode noncharacters: the MQTT specification
    /// (section 1.5.4) says a topic should not hold them, and mosquitto refuses to publish one
    /// that does ("Malformed UTF-8"), so a reply there would go nowhere (found black-box: a
    /// U+0085 or U+FFFF in `reply_topic` got no answer and no dead letter).
    private static func hasControlCharacters(_ s: String) -> Bool {
        s.unicodeScalars.contains { c in
            let v = c.value
            return v < 0x20 || (0x7F...0x9F).contains(v) || (0xFDD0...0xFDEF).contains(v) || v & 0xFFFE == 0xFFFE
        }
    }

    /// The most levels a reply topic may have: far below any broker's cap.
    static let maxReplyTopicLevels = 32

    /// Why `reply` cannot carry an answer, or nil when it can.
    private static func replyTopicProblem(_ reply: String) -> String? {
        guard reply.hasPrefix(Topics.replayPrefix) else { return "reply_topic must lie under replay/" }
        // `replay/` alone is a topic with an empty last level: it names no request, so answers
        // to every such request would land on one topic mixed together.
        guard reply.utf8.count > Topics.replayPrefix.utf8.count else { return "reply_topic must name a topic under replay/, not replay/ itself" }
        guard !reply.contains("+"), !reply.contains("#") else { return "reply_topic must not contain the wildcards + or #" }
        // A NUL would end the topic in libmosquitto's C string: the answer would go elsewhere.
        guard reply.utf8.count <= 1024, !hasControlCharacters(reply) else {
            return "reply_topic must be at most 1024 bytes without control characters"
        }
        // Brokers cap a topic's levels (mosquitto at 200) and drop the connection of a client
        // that publishes past the cap; libmosquitto would send the answer again at every
        // reconnection, so the output connection would fall every second for good.
        guard reply.utf8.count(where: { $0 == UInt8(ascii: "/") }) < maxReplyTopicLevels else {
            return "reply_topic must have at most \(maxReplyTopicLevels) levels"
        }
        return nil
    }

    /// What a refused request with no reply topic is dead-lettered with: the gateway whose
    /// request topic it came on (named in the dead letter) and the dead letter's payload cap.
    struct DeadLetterRoute {
        var gatewayID: String
        var maxPayloadBytes: Int
    }

    /// A request refused at once: what the log says of it (the caller logs it, within a budget:
    /// a requester could otherwise write a line per request), and the reason code of its dead
    /// letter when it went to `dlq/` for want of a usable reply topic (for the counters).
    struct Refusal {
        var message: Logger.Message
        var metadata: Logger.Metadata
        var deadLetterReason: String?
        var reason: RefusalReason
    }

    /// Why a request was refused at once, as `sensor_gateway_replay_requests_refused_total`
    /// labels it: a requester told `busy` may ask again, one told `invalid` must change its request.
    enum RefusalReason: String, CaseIterable {
        /// Every slot was taken (`replay-max-concurrent`).
        case busy
        /// Replays are turned off (`replay-max-concurrent 0`).
        case off
        /// Answered with an error on its reply topic.
        case invalid
        /// No usable reply topic: dead-lettered on `dlq/_invalid/temperature`.
        case deadLettered = "dead_lettered"
    }

    /// Answers one request on a thread of its own (it blocks while pacing), within `limits`;
    /// `slots` counts the replays running. Returns the refusal when it was refused at once.
    static func start(
        _ payload: [UInt8], journalDirectory: String, client: MQTTClient, limits: ReplayLimits,
        slots: ReplaySlots, deadLetters: DeadLetterRoute, logger: Logger
    ) -> Refusal? {
        switch parse(payload, limits: limits) {
        case .invalid(_, nil, let error):
            let letter = ReplayDeadLetter.message(
                for: payload, topic: Topics.replayRequests(deadLetters.gatewayID), receivedAt: Clocks.epochMilliseconds(), maxBytes: deadLetters.maxPayloadBytes
            )
            _ = try? client.publish(topic: Topics.invalidDeadLetter, payload: letter, qos: .atLeastOnce)
            return Refusal(
                message: "replay request refused and dead-lettered (no usable reply topic)", metadata: ["error": "\(error)"],
                deadLetterReason: ReplayDeadLetter.reason(for: payload).code, reason: .deadLettered)
        case .invalid(let id, let reply, let error):
            return refuse(id: id, reply: reply, error: error, reason: .invalid, client: client)
        case .request(let r):
            guard slots.take(limit: limits.maxConcurrent) else {
                let error =
                    limits.maxConcurrent == 0
                    ? "replays are turned off on this gateway (replay-max-concurrent 0)"
                    : "busy: at most \(limits.maxConcurrent) replays run at once (replay-max-concurrent); try again later"
                return refuse(id: r.requestID, reply: r.replyTopic, error: error, reason: limits.maxConcurrent == 0 ? .off : .busy, client: client)
            }
            let thread = Thread {
                answer(r, journalDirectory: journalDirectory, client: client, limits: limits, logger: logger)
                slots.release()
            }
            thread.name = "replay"
            thread.start()
        }
        return nil
    }

    /// A replayed message in the form asked for: as published, or its export line (without the
    /// newline; a message the export cannot read goes as published).
    static func payload(_ p: Publication, as format: ExportFormat?) -> [UInt8] {
        guard let format, var row = ExportRow(topic: p.topic, payload: p.payload, ts: 0) else { return p.payload }
        if case .number(let n, true)? = row.value("ts"), let ts = Int64(n) { row.ts = ts }
        var line: [UInt8] = []
        format.append(row, to: &line)
        if line.last == 0x0A { line.removeLast() }
        return line
    }

    private static func refuse(id: String?, reply: String?, error: String, reason: RefusalReason, client: MQTTClient) -> Refusal {
        if let reply { _ = try? client.publish(topic: reply, payload: ReplayAnswer.failed(id ?? "", error: error).json, qos: .atLeastOnce) }
        return Refusal(message: "replay request refused", metadata: ["request_id": "\(id ?? "-")", "error": "\(error)"], reason: reason)
    }

    private static func answer(_ r: Request, journalDirectory: String, client: MQTTClient, limits: ReplayLimits, logger: Logger) {
        do {
            if let header = r.format?.header, !header.isEmpty {
                try client.publish(topic: r.replyTopic, payload: Array(header.dropLast()), qos: .atLeastOnce)
            }
            let result = try r.query.run(journalDirectory: journalDirectory) { p in
                // Flow control: publish only while the connection keeps up (woken by its acknowledgements).
                client.waitForUnacknowledged(below: limits.maxUnacknowledged)
                try client.publish(topic: r.replyTopic, payload: Self.payload(p, as: r.format), qos: .atLeastOnce)
            }
            let done = ReplayAnswer.done(
                r.requestID, count: result.count, truncated: result.reclaimed, oldestAvailable: result.oldestAvailable,
                damaged: !result.damage.isEmpty)
            try client.publish(topic: r.replyTopic, payload: done.json, qos: .atLeastOnce)
            logger.info("replay answered", metadata: ["request_id": "\(r.requestID)", "count": "\(result.count)"])
        } catch {
            logger.error("replay failed", metadata: ["request_id": "\(r.requestID)", "error": "\(error)"])
            let failed = ReplayAnswer.failed(r.requestID, error: "replay failed: \(error)")
            _ = try? client.publish(topic: r.replyTopic, payload: failed.json, qos: .atLeastOnce)
        }
    }
}
