import PaxosCore
import PaxosShell

/// paxosd's request shell (`GroupShell`) inside the simulation: the simulator interprets its
/// effects as `GroupNode` does, with simulated links for forwards and simulated connections for
/// answers. Only sockets, disks and the clock are simulated; every decision about a client
/// request (routing, re-forwarding, deadlines, batching, failure codes) is the real code's.
extension Simulation {
    /// The shell's settings in simulator units: a request fails after three quarters of a
    /// client's own timeout, and an unanswered forward is re-sent after 100 units (ten ticks,
    /// longer than most round trips, as paxosd's 300 ms is against its loopback round trips).
    static func shellSettings(id: ReplicaID, configuration: SimConfiguration, bug: ShellBug?) -> ShellSettings {
        ShellSettings(me: id, requestTimeoutMilliseconds: configuration.clientTimeoutUnits * 3 / 4,
                      rerouteMilliseconds: configuration.rerouteUnits, maxOutstandingRequests: 1_000, plantedBug: bug,
                      leaseMilliseconds: configuration.leaderLeaseUnits)
    }

    /// What the shell of replica `index` sees of its core now (the applied clock and deadline
    /// only with `leaderClocks`: finding the earliest deadline walks the rows).
    func shellView(_ index: Int) -> ShellView {
        let replica = replicas[index].replica
        let hint = replica?.leaderHint
        var view = ShellView(isLeader: replica?.role == .leader, leaderHint: hint, leaderLinked: hint != nil,
                             chosenThrough: replica?.chosenThrough ?? .zero)
        view.leaseBasis = replica?.leaseBasis
        if configuration.leaderClocks {
            view.logClock = replicas[index].disk.stateMachine.clock
            view.nextDeadline = replicas[index].disk.stateMachine.nextDeadline
            view.wallTime = wallTime(index)
        }
        return view
    }

    /// Carries out the shell's effects in order, as `GroupNode.perform` does.
    func perform(_ effects: [ShellEffect], at index: Int) {
        for effect in effects {
            guard replicas[index].isUp else { return }
            switch effect {
            case .propose(let batch, let time):
                step(index, .propose(batch, time: time))
            case .read(let id, let leased):
                if leased { stats.leasedReads += 1 } else { stats.roundReads += 1 }
                step(index, .read(id, leased: leased))
            case .readState(let query, let token, let readTime):
                // The simulated disk applies synchronously, so this read already sees every
                // apply paxosd would have queued before it.
                let result = replicas[index].disk.stateMachine.read(query, at: readTime)
                perform(replicas[index].shell.readResult(token: token, result, now: shellNow(index), view: shellView(index)), at: index)
            case .forward(let to, let id, let request):
                transmitRequest(.forward(id: id, request), group: replicas[index].group, from: replicas[index].id, to: to)
                crashAfterForward(at: index)
            case .forwardReply(let to, let id, let outcome):
                transmitRequest(.forwardReply(id: id, outcome), group: replicas[index].group, from: replicas[index].id, to: to)
            case .answer(let token, let outcome):
                guard let waiter = replicas[index].waiters.removeValue(forKey: token) else { continue }
                replyToClient(waiter.client, op: waiter.op, Self.simReply(outcome))
            case .scheduleProposalFlush:
                // paxosd flushes at the end of the event loop's iteration: here, after the events
                // already due at this time.
                schedule(.flushProposals(replica: index, incarnation: replicas[index].incarnation), after: 0)
            }
        }
    }

    /// The crash point after a forward (`SimConfiguration.crashAfterForwardRate`): the node dies
    /// with the forward on the wire and restarts within a round trip, so the leader's answer
    /// usually finds its next life.
    func crashAfterForward(at index: Int) {
        guard configuration.crashes, configuration.crashAfterForwardRate > 0, !healed,
              Double.random(in: 0..<1, using: &random) < configuration.crashAfterForwardRate else { return }
        let node = Int(replicas[index].id.rawValue) - 1
        stats.faults += 1
        // The process dies, so its client connections close: a client learns at once that its
        // request's outcome is unknown and goes on (to the same node, once it is back).
        // In token order: a dictionary's order differs between runs, and each reply draws.
        let waiting = replicaIndices(onNode: node).flatMap { replicas[$0].waiters.sorted { $0.key < $1.key }.map(\.value) }
        crash(node: node)
        for (client, op) in waiting { replyToClient(client, op: op, .unknown) }
        schedule(.restart(node: node), after: UInt64.random(in: 1...5, using: &random))
    }

    /// A forwarded request or its answer on the peer link, through the group's weather.
    func transmitRequest(_ frame: SimRequestFrame, group: Int, from: ReplicaID, to: ReplicaID) {
        stats.messages += 1
        throughWeather(of: group, .deliverRequest(group: group, from: from, to: to, frame))
    }

    func deliverRequest(_ frame: SimRequestFrame, group: Int, from: ReplicaID, to: ReplicaID) {
        let index = replicaIndex(group: group, id: to)
        guard replicas[index].isUp, !isCut(from, to) else { return }
        let view = shellView(index)
        switch frame {
        case .forward(let id, let request):
            perform(replicas[index].shell.forwardReceived(from: from, id: id, request, now: shellNow(index), view: view), at: index)
        case .forwardReply(let id, let outcome):
            perform(replicas[index].shell.forwardReplyReceived(id: id, outcome, now: shellNow(index), view: view), at: index)
        }
    }

    /// The client's reading of an answer, as `PaxosClient` reads the RESP error code.
    static func simReply(_ outcome: RequestOutcome) -> SimReply {
        switch outcome {
        case .applied(.ok): .outcome(.ok)
        case .applied(.deleted(let existed)): .outcome(.deleted(existed: existed))
        case .answer(let answer) where answer.entries.count == 1 && answer.fields == .value: .outcome(.value(answer.firstValue))
        // MGET and WATCH (Simulation+Families.swift).
        case .answer(let answer): .outcome(.answer(answer))
        case .applied(.superseded), .applied(.expired): .unknown
        // Applied, but a retry's reply too large to have been kept: nothing known of it.
        case .applied(.reply(.notRemembered)): .unknown
        case .applied(.reply(let reply)): .outcome(.reply(reply))
        // Exactly what PaxosClient reads from the code: transient and not outcome-unknown means
        // certainly not applied.
        case .failed(let code, _): code.transient && !code.outcomeUnknown ? .notApplied : .unknown
        }
    }
}

/// Request traffic between two replicas' shells (`PeerFrame.forward` and `.forwardReply`).
enum SimRequestFrame {
    case forward(id: UInt64, ForwardedRequest)
    case forwardReply(id: UInt64, ForwardedOutcome)
}

