import PaxosCore

/// Simulated clients: random puts, gets and deletes on a few keys per group, so operations
/// conflict. Each operation goes to the group its key belongs to, as paxosd routes it.
extension Simulation {
    func clientNext(_ index: Int) {
        guard now < stopInvoking, clients[index].current == nil else { return }
        let key = keyspace[Int.random(in: 0..<keyspace.count, using: &random)]
        let roll = Int.random(in: 0..<10, using: &random)
        let kind: SimOperationKind
        if roll < 4 {
            clients[index].sequence += 1
            kind = .put(key: key, value: Array("c\(index)-\(clients[index].sequence)".utf8))
        } else if roll < 6 {
            clients[index].sequence += 1
            kind = .delete(key: key)
        } else {
            kind = .get(key: key)
        }
        records.append(SimRecord(client: index, kind: kind, invokedAt: now))
        let group = Int(configuration.groupMap.group(of: key))
        clients[index].current = .init(op: records.count - 1, kind: kind, sequence: clients[index].sequence, group: group)
        sendAttempt(index)
    }

    func sendAttempt(_ index: Int, after extraDelay: UInt64 = 0) {
        guard let current = clients[index].current else { return }
        clients[index].attempt += 1
        let attempt = clients[index].attempt
        let delay = extraDelay + UInt64.random(in: 1...10, using: &random)
        schedule(.clientArrive(client: index, attempt: attempt, to: clients[index].targets[current.group]), after: delay)
        schedule(.clientTimeout(client: index, attempt: attempt), after: delay + configuration.clientTimeoutUnits)
    }

    /// The request reaches a node, which hands it to the key's group. A crashed node, or a
    /// crashed replica of that group, silently loses it; the client times out.
    func clientArrive(_ index: Int, to target: ReplicaID) {
        guard let current = clients[index].current else { return }
        let replica = replicaIndex(group: current.group, id: target)
        guard replicas[replica].isUp else { return }
        let client = clients[index]
        let freshOrigin = configuration.simulatorBug == .freshOriginOnRetry
        if current.kind.isWrite, current.origin == nil || freshOrigin {
            clients[index].current?.origin = replicas[replica].replica?.chosenThrough ?? .zero
        }
        let origin = clients[index].current?.origin
        switch current.kind {
        case .put(let key, let value):
            propose(ClientRequest(client: client.id, sequence: current.sequence, operation: .put(key: key, value: value), origin: origin),
                    op: current.op, at: replica)
        case .delete(let key):
            propose(ClientRequest(client: client.id, sequence: current.sequence, operation: .delete(key: key), origin: origin),
                    op: current.op, at: replica)
        case .get(let key):
            let id = ReadID(replicas[replica].nextReadID)
            replicas[replica].nextReadID += 1
            replicas[replica].waitingReads[id] = (index, current.op, key)
            step(replica, .read(id))
        }
    }

    func propose(_ request: ClientRequest, op: Int, at replica: Int) {
        replicas[replica].waitingWrites[request.client] = (request.sequence, op)
        step(replica, .propose([request]))
    }

    func replyToClient(_ index: Int, op: Int, _ reply: SimReply) {
        schedule(.clientReply(client: index, op: op, reply), after: UInt64.random(in: 1...10, using: &random))
    }

    func clientReply(_ index: Int, op: Int, _ reply: SimReply) {
        guard let current = clients[index].current, current.op == op else { return }
        switch reply {
        case .outcome(let outcome):
            records[op].completed = (now, outcome)
            clients[index].current = nil
            stats.completed += 1
            let think = configuration.maxThinkUnits == 0 ? 0 : UInt64.random(in: 0...configuration.maxThinkUnits, using: &random)
            schedule(.clientNext(client: index), after: think)
        case .redirect(let leader):
            clients[index].targets[current.group] = leader ?? randomReplica()
            sendAttempt(index, after: leader == nil ? 20 : 2)
        case .busy:
            sendAttempt(index, after: 20)
        case .expired:
            // An earlier copy may have been applied: the outcome stays unknown in the history,
            // as paxosd answers TIMEOUT, and the client moves on.
            clients[index].current = nil
            stats.expiredWrites += 1
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
