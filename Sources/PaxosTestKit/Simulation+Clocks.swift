import PaxosCore
import PaxosShell

/// Leader clocks in the simulation (docs/design/coordination-api.md §3, §8): each node's
/// skewed, stepped wall clock (`SimClocks`), the nemesis's clock steps, and the checks that
/// only timed runs need: a replica's log clock never goes back, and at convergence the
/// replicas hold equal rows (revisions and deadlines included) and equal clocks.
extension Simulation {
    /// The stamp source of replica `index`'s shell: its node's clock with `leaderClocks`, else
    /// none, so plain runs propose legacy batches exactly as they always did.
    func wallTime(_ index: Int) -> LeaderTime? {
        clocks?.reading(node: Int(replicas[index].id.rawValue) - 1, at: now)
    }

    /// The draws of a timed run, from a stream of their own (`seed ^ "clocks!!"`) so that no
    /// other run's draws move: the skew bound unless one is `given`, whether the nemesis steps
    /// clocks, and each node's skew.
    static func drawClocks(seed: UInt64, configuration: inout SimConfiguration, skewMaxUnits given: UInt64?,
                           shellBug: ShellBug? = nil) -> SimClocks {
        var stream = SeededGenerator(seed: seed ^ 0x636c_6f63_6b73_2121)
        let drawnSkew = [0, 50, 200, 500].randomElement(using: &stream)!
        let drawnSteps = Bool.random(using: &stream)
        // A read that ignores expiry shows only past the TTL window, whose slack is the clocks'
        // spread: that bug runs with exact clocks (`targetReadIgnoresExpiry`).
        let exact = shellBug == .readIgnoresExpiry
        // A planted clock bug's configuration may ask for a wide skew (`targetClock`).
        configuration.clockSkewMaxUnits = given ?? (exact ? 0 : max(UInt64(drawnSkew), configuration.clockSkewMaxUnits))
        if drawnSteps && !exact && configuration.clockStepMeanGapUnits == nil {
            configuration.clockStepMeanGapUnits = max(configuration.chaosUnits / 2, 1)
        }
        return SimClocks(nodes: configuration.nodes, skewMaxUnits: configuration.clockSkewMaxUnits, random: stream)
    }

    /// The delay to the nemesis's next clock step, if it steps clocks and has steps left.
    func nextClockStepGap() -> UInt64? {
        guard let mean = configuration.clockStepMeanGapUnits, clocks?.stepsLeft == true else { return nil }
        return UInt64.random(in: 1...(2 * mean), using: &clocks!.random)
    }

    /// The nemesis steps one node's clock forward or back during the chaos phase.
    func stepClock() {
        guard !healed, clocks != nil else { return }
        _ = clocks!.step()
        stats.clockSteps += 1
        if let gap = nextClockStepGap() { schedule(.clockStep, after: gap) }
    }

    /// After each apply: the log's clock is the max of the stamps, so it never goes back on a
    /// replica (a snapshot install or a lost disk replaces the state, and is not an apply).
    func checkClockRises(from before: LeaderTime, slot: Slot, at index: Int) {
        let after = replicas[index].disk.stateMachine.clock
        if after < before {
            fail("log clock: \(name(index))'s clock went back from \(before.rawValue) to \(after.rawValue) applying slot \(slot)")
        }
    }

    /// At convergence, beside the values (every run): every row's revision and deadline, and the clock,
    /// are replicated state, so replicas that applied the same slots hold them equal.
    func checkRowConvergence(_ indices: [Int]) {
        let reference = replicas[indices[0]].disk.stateMachine
        for index in indices.dropFirst() {
            let machine = replicas[index].disk.stateMachine
            if machine.clock != reference.clock {
                return fail("convergence: \(name(index))'s log clock \(machine.clock.rawValue) differs from "
                    + "\(name(indices[0]))'s \(reference.clock.rawValue) at the same applied slot")
            }
            if let key = machine.rows.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }).first(where: { machine.rows[$0] != reference.rows[$0] })
                ?? reference.rows.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }).first(where: { machine.rows[$0] == nil }) {
                return fail("convergence: \(name(index))'s row of \(BytesFormat.render(key)) is \(Self.render(machine.rows[key])), "
                    + "\(name(indices[0]))'s is \(Self.render(reference.rows[key])) at the same applied slot")
            }
        }
    }

    static func render(_ row: KVRow?) -> String {
        guard let row else { return "absent" }
        return "\(BytesFormat.render(row.value)) rev \(row.revision) deadline \(row.deadline.map { "\($0.rawValue)" } ?? "none")"
    }

    /// The TTL window's slack for this run's history (`TTLWindow`): 0 without leader clocks,
    /// where nothing expires.
    var expirySlackUnits: UInt64 { clocks?.spreadUnits ?? 0 }
}

extension SimConfiguration {
    /// Tilts this configuration toward what exposes a planted clock bug. Both need leader
    /// clocks, and both keep every log entry: a replica that installed a snapshot would rebuild
    /// its rules without the bug, and the snapshot checker, replaying by the correct rule, would
    /// catch the bug before the checker it is aimed at (as for `incrWithoutSession`).
    mutating func targetClock(_ bug: StateMachineBug, using random: inout SeededGenerator) {
        leaderClocks = true
        retainSlots = nil
        switch bug {
        case .clockFromReplica:
            // Replicas apply each slot at different moments, so any timed run diverges; the
            // convergence check compares the clocks and every row's deadline.
            break
        case .clockNotMonotonic:
            // The log's time goes back only when a leader stamps below the clock a slot before
            // reached: a new leader whose clock is behind, before it applied the old leader's
            // last slots. Wide skews and frequent leader changes.
            clockSkewMaxUnits = 500
            crashes = true
            partitions = true
            meanFaultGapUnits = min(meanFaultGapUnits, [100, 300].randomElement(using: &random)!)
        default:
            preconditionFailure("\(bug) is not a clock bug")
        }
    }
}

extension SimConfiguration {
    /// Tilts this configuration toward what exposes `ShellBug.readIgnoresExpiry`: a leader that
    /// answers reads by the log's clock alone still returns a key after its deadline until its
    /// clock slot commits, a tick and a commit later, which shows past the TTL window only when
    /// the window has no slack to hide it in (exact clocks, no steps: `drawClocks`) and reads of
    /// the few keys come often.
    mutating func targetReadIgnoresExpiry() {
        leaderClocks = true
        keys = min(keys, 2)
        clients = 3
        maxThinkUnits = 50
    }
}

extension SimConfiguration {
    /// The faults of `targetReadIgnoresExpiry`: a leader proposes its clock slot on a tick, so
    /// long ticks leave the log's clock behind its wall clock for longer; crashes and
    /// partitions, which stop reads as well as clock slots, stay off. Measured: this catches
    /// the bug in few seeds (see the design doc's status); busier clients keep the log's clock
    /// close behind the wall clock with their own batches, and loss slows reads as much as
    /// clock slots, and caught it less.
    mutating func targetReadIgnoresExpiryFaults() {
        crashes = false
        partitions = false
        tickUnits = 50
    }
}
