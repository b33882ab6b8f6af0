import PaxosCore

/// Simulated clients: random puts, gets and deletes on a few keys, so operations conflict.
extension Simulation {
    func clientNext(_ index: Int) {
        guard now < stopInvoking, clients[index].current == nil else { return }
        let key = Array("k\(Int.random(in: 0..<configuration.keys, using: &random))".utf8)
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
        clients[index].current = .init(op: records.count - 1, kind: kind, sequence: clients[index].sequence)
        sendAttempt(index)
    }

    func sendAttempt(_ index: Int, after extraDelay: UInt64 = 0) {
        clients[index].attempt += 1
        let attempt = clients[index].attempt
        let delay = extraDelay + UInt64.random(in: 1...10, using: &random)
        schedule(.clientArrive(client: index, attempt: attempt, to: clients[index].target), after: delay)
        schedule(.clientTimeout(client: index, attempt: attempt), after: delay + configuration.clientTimeoutUnits)
    }

    /// The request reaches a node. A crashed node silently loses it; the client times out.
    func clientArrive(_ index: Int, to target: ReplicaID) {
        let node = Int(target.rawValue) - 1
        guard nodes[node].isUp, let current = clients[index].current else { return }
        let client = clients[index]
        switch current.kind {
        case .put(let key, let value):
            propose(ClientRequest(client: client.id, sequence: current.sequence, operation: .put(key: key, value: value)),
                    op: current.op, at: node)
        case .delete(let key):
            propose(ClientRequest(client: client.id, sequence: current.sequence, operation: .delete(key: key)),
                    op: current.op, at: node)
        case .get(let key):
            let id = ReadID(nodes[node].nextReadID)
            nodes[node].nextReadID += 1
            nodes[node].waitingReads[id] = (index, current.op, key)
            step(node: node, .read(id))
        }
    }

    func propose(_ request: ClientRequest, op: Int, at node: Int) {
        nodes[node].waitingWrites[request.client] = (request.sequence, op)
        step(node: node, .propose([request]))
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
            clients[index].target = leader ?? randomReplica()
            sendAttempt(index, after: leader == nil ? 20 : 2)
        case .busy:
            sendAttempt(index, after: 20)
        }
    }

    func clientTimeout(_ index: Int, attempt: Int) {
        guard clients[index].attempt == attempt, clients[index].current != nil else { return }
        clients[index].target = randomReplica()
        sendAttempt(index)
    }

    func randomReplica() -> ReplicaID {
        ReplicaID(UInt32(Int.random(in: 1...nodes.count, using: &random)))
    }
}
