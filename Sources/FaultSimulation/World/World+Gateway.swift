#if canImport(Glibc)
    import Glibc
#endif
import DeterministicRandom
import Journal

extension World {
    /// Clock steps, crashes and armed write errors, at the start of a faulty step.
    mutating func injectFaults() {
        let f = scenario.faults
        if rng.chance(f.clockBack) {
            let by = rng.int64(f.clockStepMs)
            clock.step(by: -by)
            count(.clockBack)
            note("wall clock stepped back \(by) ms")
        }
        if rng.chance(f.clockForward) {
            let by = rng.int64(f.clockStepMs)
            clock.step(by: by)
            count(.clockForward)
            note("wall clock stepped forward \(by) ms")
        }
        guard gateway != nil else { return }
        if f.inputOutage > 0, inputUp, outageRng.chance(f.inputOutage) {
            let steps = outageRng.int(f.inputOutageSteps)
            inputBackAt = step + steps
            count(.inputOutage)
            note("the gateway's input connection lost for \(steps) steps")
        }
        if rng.chance(f.writeError) {
            let code = rng.chance(0.5) ? ENOSPC : EIO
            let after = rng.int(0...20)
            fileSystem.failWrite(after: after, code: code)
            count(.writeError)
            note("armed \(code == ENOSPC ? "ENOSPC" : "EIO") on the journal's write or sync \(after + 1) from now")
        }
        if rng.chance(f.crash) {
            if rng.chance(f.powerCutShare) {
                let mode = FaultyFileSystem.PowerCut.allCases[rng.int(0...4)]
                count(.powerCut)
                note("power cut (\(mode))")
                stop(powerCut: mode, failed: false)
            } else {
                count(.processKill)
                note("gateway killed")
                stop(powerCut: nil, failed: false)
            }
        }
    }

    /// Whether anything that damages the journal (at rest or by a power cut)
    /// happened since the gateway last started.
    var damagedSinceStart: Bool {
        // Not an armed write error (a resize's or a running turn's): a write that fails leaves the
        // journal whole or shows damage at the next open, so it is no excuse (since 2026-12-07).
        let damage: [FaultKind] = [.oddSize, .recordFlip, .tailCut, .headerFlip, .shortRead, .powerCut]
        return damage.contains { (faults[$0] ?? 0) > (faultsAtStart[$0] ?? 0) }
    }

    /// Whether the gateway's input connection is up (a lost one comes back on its own, faults or not).
    var inputUp: Bool { step >= inputBackAt }

    /// The gateway is gone: what it took without PUBACK is redelivered; what the contract lets a
    /// crash lose (held in memory; unsynced at a power cut) only needs covering now; acks in
    /// flight are lost. It restarts after a drawn pause.
    mutating func stop(powerCut: FaultyFileSystem.PowerCut?, failed: Bool) {
        guard let gateway else { return }
        snapshot = gateway.snapshot
        clockLead = gateway.clockLead
        for input in gateway.held { checker.relax(input.reading) }
        if let powerCut {
            let durable = gateway.journal.durableSeq
            for (key, o) in checker.obligations {
                if let seq = journalSeqs[key], seq <= durable { continue }
                checker.relax(o.reading)
            }
            unsyncedAtCut += unsyncedPublications(after: durable)
            self.gateway = nil
            fileSystem.powerCut(powerCut, rng: &rng)
        } else {
            self.gateway = nil
            fileSystem.kill()
        }
        _ = failed
        broker.redeliverUnacknowledged()
        pendingAcks.removeAll()
        downSince = nil
        let pause = step < scenario.steps ? rng.int(scenario.faults.downSteps) : 1
        restartAt = step + pause
        note("gateway down for \(pause) steps")
    }

    /// Before a restart: `journal-max-bytes` changed to another drawn size (`FaultRates.resize`),
    /// not after a start that failed (the operator waits for it). A resize `config check` would
    /// refuse (unfinished work does not fit) is put back; some are armed to fail partway.
    mutating func resizeByOperator() {
        let f = scenario.faults
        guard f.resize > 0, downSince == nil, resizeRng.chance(f.resize) else { return }
        let current = settings.layout
        let sizes = Scenario.journalSizes.filter { $0 != current.segmentSize * current.segmentCount }
        let size = sizes[resizeRng.int(0...(sizes.count - 1))]
        guard let layout = try? JournalLayout(directory: current.directory, maxBytes: size, segmentCount: current.segmentCount) else { return }
        let keep = SimGateway.keepFrom(layout, snapshot: snapshot, fileSystem: fileSystem)
        if case .refuse(let why) = Journal.plan(layout: layout, resizeKeepingFrom: keep, fileSystem: fileSystem) {
            count(.resizeRefused)
            note("journal-max-bytes \(size) refused, the size put back: \(why)")
            return
        }
        layoutBeforeResize = current
        settings.layout = layout
        count(.journalResize)
        note("journal-max-bytes changed from \(current.segmentSize * current.segmentCount) to \(size)")
        if resizeRng.chance(f.resizeInterrupted) {
            let after = resizeRng.int(f.resizeFailAfter)
            fileSystem.failWrite(after: after, code: EIO)
            count(.resizeInterrupted)
            note("armed EIO on the start's write or sync \(after + 1) from now")
        }
    }

    /// Starts (or restarts) the gateway: damage at rest first, then open, recover, restore.
    mutating func start() {
        if step > 0 && step < scenario.steps {
            damageAtRest()
            resizeByOperator()
        }
        do {
            let g = try SimGateway(
                settings: settings, fileSystem: fileSystem, snapshot: snapshot, published: retainedLatest, damageRecord: damageRecord,
                clockLead: clockLead, wall: clock.wall, monotonic: clock.monotonic, savedSnapshot: &snapshot)
            gateway = g
            damageRecord = g.damageRecord
            let report = g.journal.report
            publicationsLostToPowerCut(report.lostSeqs)
            for p in report.fileProblems { note("journal file problem: \(p)") }
            for c in report.corruption { note("journal corruption: \(c)") }
            if let resized = report.resized { note("journal resized: \(resized)") }
            if step > 0 {
                restarts += 1
                note(
                    "gateway restarted: \(report.records) records, \(g.outbound.waitingCount) publications to resend, \(g.restoreMismatches) mismatched, \(g.restoreRebuilt) readings rebuilt from them, \(g.restoreWithheld) regenerated withheld, \(g.restoreStandIns) gaps for destroyed ones"
                        + (g.aggregatesFromDamagedJournalBefore.map { "; aggregate windows before \($0) go out flagged journal_damaged" } ?? "")
                )
            }
            if step > 0 && g.restoreDiverged && !damagedSinceStart && report.corruption.isEmpty && report.fileProblems.isEmpty {
                startViolation = Violation(
                    invariant: .faithfulReplay,
                    detail:
                        "the restore's replay diverged from the journaled publications (\(g.restoreMismatches) mismatched) with no damage since the last start")
            }
            faultsAtStart = faults
            layoutBeforeResize = nil
            downSince = nil
            lastProgressMark = (0, 0)
            lastProgress = clock.upTime
        } catch {
            note("gateway cannot start: \(error)")
            // A resize the start refused (unfinished work that damage since `config check` made
            // larger, found by drawn seed 4,743,966 with resizes): the operator puts the old size
            // back, as the message tells them, rather than restarting into it forever.
            if case JournalError.invalidConfiguration = error, let before = layoutBeforeResize {
                settings.layout = before
                layoutBeforeResize = nil
                count(.resizeRefused)
                note("journal-max-bytes put back to \(before.segmentSize * before.segmentCount), as the refusal says")
            }
            fileSystem.kill()
            restartAt = step + 10
            if downSince == nil { downSince = clock.monotonic }
        }
    }
}
