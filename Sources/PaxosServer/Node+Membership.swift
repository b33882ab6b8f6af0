import PaxosCore
import PaxosWire

/// `MEMBER …`: the replicated membership, through RESP (see `Membership` for the protocol).
///
/// Each consensus group has its own log and so its own membership; a change is made in every
/// group the command names (all of them without `GROUP g`), each by that group's leader. A node
/// proposes in the groups it leads and answers, for the others, which replica leads them, so
/// `paxosctl member` sends the command on to those leaders. A change is answered once the slot
/// holding it is applied here; it governs from α slots later (the leader fills them at once).
extension Node {
    func member(_ command: MemberCommand, group: GroupID?, respond: @escaping (RESPValue) -> Void) {
        if let group, group.index >= groups.count {
            return respond(.error(.err, "group \(group) does not exist; this cluster has \(groups.count)"))
        }
        let targets = group.map { [groups[$0.index]] } ?? groups
        guard clusterUUID != nil else {
            return respond(.error(.err, "the cluster has no membership yet (genesis waits for every bootstrap member to connect)"))
        }
        if case .list = command { return respond(.array(targets.map { .bulkString(Array($0.membershipLine.utf8)) })) }
        // Each group's database has its own incarnation, so each group gets its own change;
        // all are resolved before any is proposed, so a refusal changes nothing.
        var changes: [GroupID: MembershipChange] = [:]
        for target in targets {
            switch resolve(command, group: target.group.index) {
            case .success(let resolved): changes[target.group] = resolved
            case .failure(let error): return respond(.error(error.description))
            }
        }
        if targets.count == 1 {
            // One group (always with `GROUP g`): a follower answers -NOTLEADER with the leader's
            // id and address, so a client can go there.
            return targets[0].changeMembership(changes[targets[0].group]!) { outcome in
                switch outcome {
                case .success(let text): respond(.simpleString(text))
                case .failure(let error) where error.description.hasPrefix("NOTLEADER"): respond(.error(error.description))
                case .failure(let error): respond(.error(.err, "\(error)"))
                }
            }
        }
        var answers: [GroupID: String] = [:]
        var failed = false
        for target in targets {
            target.changeMembership(changes[target.group]!) { outcome in
                switch outcome {
                case .success(let text): answers[target.group] = "group \(target.group): \(text)"
                case .failure(let error): answers[target.group] = "group \(target.group): \(error)"; failed = true
                }
                guard answers.count == targets.count else { return }
                let text = targets.map { answers[$0.group]! }.joined(separator: "; ")
                respond(failed ? .error(.err, "\(text)") : .simpleString(text))
            }
        }
    }

    /// The core's change for a command in `group`, with the incarnation the replica reported to
    /// us for that group's database.
    private func resolve(_ command: MemberCommand, group: Int) -> Result<MembershipChange, MemberCommandError> {
        func reported(_ id: ReplicaID) -> Result<Incarnation, MemberCommandError> {
            if id == settings.id { return .success(groups[group].incarnation) }
            guard address(of: id) != nil else {
                return .failure(MemberCommandError("ERR replica \(id) is not in the cluster file and no address was given; use MEMBER ADD \(id) <host> <client-port> <peer-port> <metrics-port>, or list it on every node (\"bootstrap\": false), and start it"))
            }
            guard let identity = peerIdentities[id], identity.groups.count > group else {
                return .failure(MemberCommandError("ERR replica \(id) has not connected to replica \(settings.id); start it and retry"))
            }
            return .success(identity.groups[group].incarnation)
        }
        switch command {
        case .list: preconditionFailure("MEMBER LIST changes nothing")
        case .add(let id, let address):
            // A new node named by its address: let it in and dial it now, so it learns the
            // cluster's genesis from us and tells us its incarnation (the retry finds it).
            if let address, id != settings.id { expectPeer(id, at: address) }
            return reported(id).map { .addLearner(Member(id: id, incarnation: $0), address: address) }
        case .promote(let id): return .success(.promote(id))
        case .remove(let id): return .success(.remove(id))
        case .replace(let id): return reported(id).map { .replaceIncarnation(Member(id: id, incarnation: $0)) }
        }
    }
}

struct MemberCommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
