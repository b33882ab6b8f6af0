public import PaxosCore

/// Configurations aimed at a planted bug. A planted bug is a checker self-test: it proves a
/// checker fails on a real mistake, and it does so only if the run has the faults that expose
/// the mistake. The plain swarm draws those faults too rarely for some bugs (an acceptor that
/// answers before its write is durable needs a crash inside the few units between the answer
/// and the fsync, on enough replicas at once), so a run with a planted bug tilts its
/// configuration toward them. Each tilt is drawn from the caller's own random stream, so the
/// main stream, and with it every run without a planted bug, draws what it always drew.
extension SimConfiguration {
    /// Tilts this configuration toward the faults that expose `bug`.
    mutating func target(_ bug: PlantedBug, using random: inout SeededGenerator) {
        switch bug {
        case .replyBeforePersist:
            // Answers go out before the write is synced; power losses forget them on every
            // replica at once, and long flushes keep the window between answer and fsync open.
            crashes = true
            powerLosses = true
            maxFlushDelayUnits = max(maxFlushDelayUnits, [60, 120, 240].randomElement(using: &random)!)
            clients = max(clients, 3)
        case .skipValueRecovery:
            // A new leader must find slots voted but not known chosen: leaders change often,
            // with a pipeline in flight.
            crashes = true
            partitions = true
            knobs.maxInflightSlots = max(knobs.maxInflightSlots, 4)
            clients = max(clients, 3)
            meanFaultGapUnits = min(meanFaultGapUnits, [100, 300].randomElement(using: &random)!)
        case .ignoreCompaction:
            // The bug needs compacted slots and a candidate that lags behind them when the
            // leader goes: a busy log (clients that think little and retry soon) compacted to 2
            // slots, frequent crashes, partitions and power losses (after which any replica may
            // lead), and slow catch-up (one command per message, snapshots retried late), so a
            // replica that was away stays behind.
            retainSlots = min(retainSlots ?? 2, 2)
            crashes = true
            partitions = true
            powerLosses = true
            clients = max(clients, 3)
            clientTimeoutUnits = [100, 200].randomElement(using: &random)!
            maxThinkUnits = 0
            meanFaultGapUnits = min(meanFaultGapUnits, 100)
            knobs.maxEntriesPerMessage = 1
            knobs.snapshotRetryTicks = 100
            // Measured: long delays, heavy loss and flapping keep the cluster from compacting
            // much before the leader goes, and hid the bug in most runs.
            maxDelayUnits = min(maxDelayUnits, 10)
            dropRate = min(dropRate, 0.05)
            flapping = false
        case .stepDownOnAnyReject:
            // Only the leadership checker catches it, and it runs with partition patterns, which
            // `Simulation.init` turns on for this bug. A node cut off long enough to time out
            // must be rejoining at the heal: long partitions, and no crashes that end them.
            partitions = true
            crashes = false
            meanFaultGapUnits = 800
        case .applyMembershipImmediately:
            // The old disk's vote must count for a slot after the replacement in flight, and
            // the other voter must miss that slot yet hear the change chosen, for the cut
            // (Simulation+QuorumWatch) to find a majority lacking it. Measured: a busy pipeline
            // with short flushes and batches, and loss with delays of up to 30 units, do that
            // most often; random crashes and partitions only slow the cluster, and the one cut
            // that matters comes from the trigger. More loss or longer delays did not help.
            // A run long enough for many replacements does: every cut the trigger made caught
            // the bug, but three runs in four of 10,000 units never reached one (23 % of seeds
            // caught); 30,000 units catch 36–43 %.
            crashes = false
            partitions = false
            dropRate = 0.3
            maxDelayUnits = 30
            maxFlushDelayUnits = min(maxFlushDelayUnits, 20)
            clients = 6
            maxThinkUnits = 10
            knobs.maxInflightSlots = max(knobs.maxInflightSlots, 16)
            knobs.maxBatchRequests = min(knobs.maxBatchRequests, 8)
            chaosUnits = 30_000
        case .skipTakeover:
            break
        }
    }

    /// Tilts this configuration toward the faults that expose the simulator bug `bug`.
    mutating func target(_ bug: SimulatorBug, using random: inout SeededGenerator) {
        switch bug {
        case .emptyDiskVotes:
            diskLoss = true
            crashes = true
            meanFaultGapUnits = min(meanFaultGapUnits, [100, 300].randomElement(using: &random)!)
        case .freshOriginOnRetry:
            // A retry must outlive its session: a short expiry window (unless the caller set
            // one), and loss, crashes and power losses that make clients retry.
            if sessionExpirySlots == ClientSession.expirySlots { sessionExpirySlots = 5 }
            dropRate = max(dropRate, 0.05)
            crashes = true
            powerLosses = true
            // The duplicate must land between other clients' writes and reads of its key, soon
            // enough to be seen: six clients, short delays, a short pipeline (measured: with
            // delays up to 80 units, or pipelines of 16 or 64 slots, most runs hid it).
            clients = 6
            maxDelayUnits = min(maxDelayUnits, 10)
            knobs.maxInflightSlots = min(knobs.maxInflightSlots, 4)
        }
    }
}

extension SimConfiguration {
    /// Tilts this configuration toward the faults that expose the apply-rule bug `bug`.
    mutating func target(_ bug: StateMachineBug, using random: inout SeededGenerator) {
        switch bug {
        case .incrWithoutSession:
            // The bug shows when a copy of an applied INCR is applied again: the shell re-sends
            // an unanswered forward after `rerouteUnits`, and a client retries after its timeout,
            // both with the same sequence. Loss of forwards and their answers, short waits and
            // busy clients make that common. No compaction: a snapshot installed would drop the
            // bug with the rules (and the snapshot checker, comparing with a replay by the
            // correct rule, would catch it before the clients' history could).
            // Called after the groups are drawn: each group's weather carries the loss.
            dropRate = max(dropRate, [0.05, 0.1, 0.2].randomElement(using: &random)!)
            for group in groupWeather.indices { groupWeather[group].dropRate = max(groupWeather[group].dropRate, dropRate) }
            rerouteUnits = [20, 40].randomElement(using: &random)!
            clients = max(clients, 3)
            maxThinkUnits = min(maxThinkUnits, 10)
            retainSlots = nil
        case .applyFailedWatch:
            // The bug shows when a write lands between a WATCH and its EXEC: several busy
            // clients on a family (two keys or more per group, so a family can form; the
            // families themselves are drawn by SimFamilies). No compaction, as above: an
            // installed snapshot would drop the bug with the rules.
            clients = max(clients, 4)
            keys = max(keys, [2, 3].randomElement(using: &random)!)
            maxThinkUnits = min(maxThinkUnits, 10)
            retainSlots = nil
        case .clockFromReplica, .clockNotMonotonic:
            targetClock(bug, using: &random)
        }
    }
}
