import PaxosCore

/// End-of-run checkers: liveness after healing, convergence, the client history and, with
/// several groups, where the leaders ended up.
extension Simulation {
    func checkEnd() {
        // Liveness: every operation that was invoked eventually completed, because after the
        // heal clients retry against a healthy majority of every group until they get an answer.
        for client in clients {
            if let current = client.current {
                let record = records[current.op]
                fail("liveness: client \(client.index)'s \(record.kind)\(groupSuffix(current.group)) invoked at t=\(record.invokedAt) "
                     + "still incomplete \(now - healedAt) units after the heal")
                return
            }
        }
        for group in groups.indices {
            checkConvergence(group: group)
            guard violations.isEmpty else { return }
        }
        checkHistory()
        guard violations.isEmpty, groups.count > 1 else { return }
        checkLeaderSpread()
    }

    /// " in group g" with several groups, nothing with one.
    func groupSuffix(_ group: Int) -> String {
        groups.count > 1 ? " in group \(group)" : ""
    }

    /// True when every replica of every group is up and has applied every slot its group chose
    /// so far, no client waits for an answer, and, with several groups, every group is led by
    /// its preferred leader.
    ///
    /// The clients matter: a replica that just caught up may be the voter a candidate's phase 1
    /// was waiting for (a learner promoted while it lagged), so a write can still be in
    /// progress when every replica has applied all that was chosen (seed 2284 with
    /// `--reconfigure --disk-loss` stopped there and reported it as a liveness failure).
    var hasSettled: Bool {
        guard clients.allSatisfy({ $0.current == nil }) else { return false }
        for group in groups {
            let highest = group.highestChosen
            for index in memberIndices(group: group.index) {
                guard replicas[index].isUp, replicas[index].disk.stateMachine.appliedThrough == highest else { return false }
            }
        }
        return groups.indices.allSatisfy { isLedByPreferred(group: $0) }
    }

    /// The replicas that must converge: with one group, the voters and learners of the newest
    /// chosen membership (a spare never added or a removed replica hears from nobody); with
    /// several, every node's.
    func memberIndices(group: Int) -> [Int] {
        guard groups.count == 1 else { return (0..<configuration.replicas).map { group * configuration.replicas + $0 } }
        return membership.latest.membership.ids.map { replicaIndex(group: 0, id: $0) }.sorted()
    }

    /// Every replica of `group` applied the same prefix, up to the highest chosen slot, with
    /// equal tables.
    func checkConvergence(group: Int) {
        let highest = groups[group].highestChosen
        let indices = memberIndices(group: group)
        for index in indices {
            guard let replica = replicas[index].replica else {
                fail("convergence: \(name(index)) is down after the heal")
                return
            }
            let applied = replicas[index].disk.stateMachine.appliedThrough
            if applied != highest {
                fail("convergence: \(name(index)) applied through \(applied), the \(groups.count > 1 ? "group" : "cluster") chose through \(highest) "
                     + "(\(replica.status.role), chosen through \(replica.chosenThrough))")
                return
            }
        }
        let reference = replicas[indices[0]].disk.stateMachine.table
        for index in indices.dropFirst() where replicas[index].disk.stateMachine.table != reference {
            fail("convergence: \(name(index))'s table differs from \(name(indices[0]))'s at the same applied slot")
            return
        }
        checkRowConvergence(indices)
    }

    /// Linearizability of everything clients saw, with operations that never completed as
    /// unknown (they may or may not have taken effect).
    ///
    /// With several groups this is still one merged history over every group, checked key by
    /// key. That is the whole check, not a shortcut: linearizability is local (Herlihy & Wing
    /// 1990), so a history is linearizable exactly when each key's sub-history is, and a key
    /// lives in one group. Checking each group's history apart would be the same check; a
    /// merged history also catches an operation sent to the wrong group.
    func checkHistory() {
        var history = History()
        for record in records where !record.notApplied {
            let handle = history.invoke(client: clients[record.client].id, kind: record.kind.historyKind, at: record.invokedAt)
            guard let (at, outcome) = record.completed else { continue }
            history.complete(handle, outcome: outcome.historyOutcome, at: at)
        }
        var checker = LinearizabilityChecker(maxStatesPerKey: 200_000)
        checker.expirySlackUnits = expirySlackUnits
        switch checker.check(history) {
        case .linearizable: break
        case .violation(let violation):
            let group = groupSuffix(configuration.groupMap.group(of: violation.key).index)
            fail("linearizability\(group): \(violation)")
        case .inconclusive(let reason): stats.inconclusiveHistories += 1; _ = reason
        }
    }

    func report() -> SimulationReport {
        traceReplicas()
        for group in groups.indices {
            groups[group].stats.chosenSlots = groups[group].chosen.count
            groups[group].stats.leaderAtEnd = (0..<configuration.nodes).lazy
                .map { self.replicas[group * self.configuration.replicas + $0] }
                .first { $0.replica?.role == .leader }?.id
        }
        stats.groups = groups.map(\.stats)
        stats.chosenSlots = stats.groups.reduce(0) { $0 + $1.chosenSlots }
        stats.operations = records.count
        return SimulationReport(seed: seed, configuration: configuration.description, violations: violations,
                                stats: stats, trace: trace, replayFlags: replayFlags)
    }
}
