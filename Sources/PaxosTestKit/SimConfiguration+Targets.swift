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
            powerLosses = true
            knobs.maxInflightSlots = max(knobs.maxInflightSlots, 4)
            meanFaultGapUnits = min(meanFaultGapUnits, [100, 300].randomElement(using: &random)!)
        case .ignoreCompaction:
            // The bug needs compacted slots and a candidate that lags behind them.
            retainSlots = min(retainSlots ?? 8, [2, 8].randomElement(using: &random)!)
            crashes = true
            partitions = true
            meanFaultGapUnits = min(meanFaultGapUnits, [100, 300].randomElement(using: &random)!)
        case .skipTakeover, .stepDownOnAnyReject, .applyMembershipImmediately:
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
            break
        }
    }
}
