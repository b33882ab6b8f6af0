import PaxosCore
import PaxosShell

/// Simulated clients: random puts, gets and deletes on a few keys per group, so operations
/// conflict. Each operation goes to the group its key belongs to, as paxosd routes it.
extension Simulation {
    func clientNext(_ index: Int) {
        guard now < stopInvoking, clients[index].current == nil else { return }
        if issueFamilyExec(index) { return }
        let key = keyspace[Int.random(in: 0..<keyspace.count, using: &random)]
        let roll = Int.random(in: 0..<10, using: &random)
        var kind: SimOperationKind
        if roll < 4 {
            clients[index].sequence += 1
            kind = .put(key: key, value: Array("c\(index)-\(clients[index].sequence)".utf8))
        } else if roll < 6 {
            clients[index].sequence += 1
            kind = .delete(key: key)
        } else {
            kind = .get(key: key)
        }
        if index >= configuration.clients - configuration.readerClients {
            // A reader (`SimConfiguration.readerClients`): never blocked behind a write of its own.
            kind = .get(key: key)
        } else if var coordination {
            kind = coordination.substitute(kind)
            coordination.noteInvoked(kind)
            self.coordination = coordination
        }
        // Family keys get no TTLs (FamilyModel has no expiry); the TTL stream draws all the same.
        let expiring = substituteExpiry(kind)
        if coordination?.families.family(of: kind.key) == nil { kind = expiring }
        records.append(SimRecord(client: index, kind: kind, invokedAt: now))
        let group = configuration.groupMap.group(of: key).index
        clients[index].current = .init(op: records.count - 1, kind: kind, sequence: clients[index].sequence, group: group)
        sendAttempt(index)
    }

    func sendAttempt(_ index: Int, after extraDelay: UInt64 = 0) {
        guard let current = clients[index].current else { return }
        clients[index].attempt += 1
        clients[index].current?.attempts += 1
        let attempt = clients[index].attempt
        let delay = extraDelay + UInt64.random(in: 1...10, using: &random)
        schedule(.clientArrive(client: index, attempt: attempt, to: clients[index].targets[current.group]), after: delay)
        schedule(.clientTimeout(client: index, attempt: attempt), after: delay + configuration.clientTimeoutUnits)
    }

    /// The request reaches a node, which hands it to the key's group's request shell. A crashed
    /// node, or a crashed replica of that group, silently loses it; the client times out.
    ///
    /// The first attempt carries no origin: the shell stamps it, as paxosd's does. A retry after
    /// a timeout (to another node, with the same client id and sequence, which a real
    /// connection never does but which exercises exactly-once hardest) carries the origin the
    /// first node stamped, as paxosd's re-forwards do.
    func clientArrive(_ index: Int, to target: ReplicaID) {
        guard let current = clients[index].current else { return }
        let replica = replicaIndex(group: current.group, id: target)
        guard replicas[replica].isUp else { return }
        let client = clients[index]
        let view = shellView(replica)
        var origin = current.origin
        if current.kind.isWrite, current.origin == nil || configuration.simulatorBug == .freshOriginOnRetry {
            clients[index].current?.origin = view.chosenThrough
            origin = current.origin == nil ? nil : view.chosenThrough
        }
        let kind: TrackedRequest.Kind
        if let operation = current.kind.operation {
            kind = .write(ClientRequest(client: client.id, sequence: current.sequence, operation: operation, origin: origin))
        } else {
            kind = .read(current.kind.readQuery)
        }
        let (token, effects) = replicas[replica].shell.submit(kind, now: shellNow(replica), view: view)
        replicas[replica].waiters[token] = (index, current.op)
        perform(effects, at: replica)
    }

    func replyToClient(_ index: Int, op: Int, _ reply: SimReply) {
        schedule(.clientReply(client: index, op: op, reply), after: UInt64.random(in: 1...10, using: &random))
    }

    func clientReply(_ index: Int, op: Int, _ reply: SimReply) {
        guard let current = clients[index].current, current.op == op else { return }
        switch reply {
        case .outcome(let outcome):
            guard current.kind.accepts(outcome) else {
                // A node answered with another request's result.
                return fail("client answer: client \(index)'s \(current.kind)\(groupSuffix(current.group)) was answered \(outcome)")
            }
            if current.kind.isWrite, !executed(client: clients[index].id, sequence: current.sequence, group: current.group) {
                return fail("client answer: client \(index)'s \(current.kind)\(groupSuffix(current.group)) was answered \(outcome), "
                    + "but no chosen slot executed it")
            }
            records[op].completed = (now, outcome)
            coordination?.noteAnswered(current.kind, outcome)
            noteFamilyAnswer(index, current.kind, outcome)
            if case .reply(let reply) = outcome { stats.keyOperationAnswers[current.kind.answerLabel(reply), default: 0] += 1 }
            clients[index].current = nil
            stats.completed += 1
            let think = configuration.maxThinkUnits == 0 ? 0 : UInt64.random(in: 0...configuration.maxThinkUnits, using: &random)
            schedule(.clientNext(client: index), after: think)
        case .notApplied where current.attempts == 1:
            // Certainly not applied: the operation leaves the history, so if it was applied
            // after all, its value shows up from nowhere and the checker says so.
            records[op].notApplied = true
            clients[index].current = nil
            stats.refusedNotApplied += 1
            schedule(.clientNext(client: index), after: 20)
        case .notApplied, .unknown:
            // An earlier attempt (to another node, same client and sequence) may have been
            // applied whatever this one says; or the node itself cannot tell. The outcome stays
            // unknown in the history and the client moves on.
            clients[index].current = nil
            schedule(.clientNext(client: index), after: 0)
        }
    }

    func clientTimeout(_ index: Int, attempt: Int) {
        guard clients[index].attempt == attempt, let current = clients[index].current else { return }
        clients[index].targets[current.group] = randomReplica()
        sendAttempt(index)
    }

    func randomReplica() -> ReplicaID {
        ReplicaID(UInt32(Int.random(in: 1...configuration.nodes, using: &random)))
    }
}
