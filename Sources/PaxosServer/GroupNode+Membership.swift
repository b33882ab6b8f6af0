import Logging
import NIOCore
import PaxosCore
import PaxosShell
import PaxosWire

/// Genesis and membership changes for this node's replica of the group (see `Membership` for
/// the protocol, `Node+Identity.swift` for how nodes agree on genesis).
extension GroupNode {
    /// What this group says about itself in our identity frame.
    var identity: GroupIdentity {
        GroupIdentity(incarnation: incarnation, epoch: genesisMembership == nil ? 0 : replica.latestMembership.epoch,
                      genesis: genesisMembership)
    }

    /// Records the cluster's first membership durably, then hands it to the replica
    /// (`onGenesisRecorded`). Nothing is announced before the record is durable: a node that
    /// crashed in between must not come back with another cluster UUID than the one it told.
    func recordGenesis(clusterUUID: String, membership: Membership) {
        guard genesisMembership == nil, genesisRecording == nil else { return }
        genesisRecording = (clusterUUID, membership)
        var jobs: [StorageJob] = [.recordGenesis(clusterUUID: clusterUUID,
                                                 memberships: [ScheduledMembership(fromSlot: Slot(1), membership: membership)])]
        submit(&jobs)
    }

    func onGenesisRecorded() {
        guard let (uuid, membership) = genesisRecording else { return }
        genesisRecording = nil
        genesisMembership = membership
        handle(.adoptGenesis([ScheduledMembership(fromSlot: Slot(1), membership: membership)]))
        if !replica.status.isVoter {
            logger.warning("this replica is not a voter: its database is new (or was replaced) and the membership names another incarnation; it follows the log as a learner until an operator re-admits it with `paxosctl member replace \(settings.id)`", metadata: [
                "paxos.incarnation": "\(incarnation)", "paxos.membership": "\(replica.latestMembership)",
            ])
        }
        node.onGroupGenesisRecorded(clusterUUID: uuid)
    }
}

/// A membership change this node's replica proposed and whose slot is not applied yet.
struct PendingMembershipChange {
    var change: MembershipChange
    var respond: (Result<String, MemberCommandError>) -> Void
    var startedAt: NIODeadline
    /// Set once the core proposed it.
    var slot: Slot?
    var membership: Membership?
}

extension GroupNode {
    /// One `MEMBER LIST` line: `group 0 epoch 2 from slot 131: voters 1/…, 2/… learners 4/…`,
    /// with the next membership if one is chosen and not governing yet.
    var membershipLine: String {
        let status = replica.status
        var line = "group \(group) \(status.membership)"
        if status.latestMembership != status.membership {
            let from = replica.memberships.last.map { " from slot \($0.fromSlot)" } ?? ""
            line += "; next \(status.latestMembership)\(from)"
        }
        line += "; leader \(status.leader.map { "\($0)" } ?? "unknown")"
        return line
    }

    /// Asks the replica to propose `change`; `respond` is called once its slot is applied (or it
    /// was refused, or did not make it into the log).
    func changeMembership(_ change: MembershipChange, respond: @escaping (Result<String, MemberCommandError>) -> Void) {
        guard pendingMembershipChange == nil else {
            return respond(.failure(MemberCommandError("another membership change is in progress on this node")))
        }
        guard !failures.isFailed else {
            return respond(.failure(MemberCommandError("replica \(settings.id) is in a simulated failure; try another node")))
        }
        pendingMembershipChange = PendingMembershipChange(change: change, respond: respond, startedAt: .now())
        handle(.changeMembership(change))
    }

    /// The core's answer to a membership change.
    func onMembershipReply(_ reply: ClientReply) {
        guard var pending = pendingMembershipChange else { return }
        switch reply {
        case .membershipChangeProposed(let change, let membership, let slot) where change == pending.change:
            pending.slot = slot
            pending.membership = membership
            pendingMembershipChange = pending
        case .membershipChangeRefused(let change, let reason) where change == pending.change:
            pendingMembershipChange = nil
            if case .notLeader(let leader) = reason {
                let where_ = leader.flatMap { node.address(of: $0) }.map { " at \($0.host):\($0.clientPort)" } ?? ""
                pending.respond(.failure(MemberCommandError("NOTLEADER \(leader.map { "\($0)" } ?? "unknown")\(where_)")))
            } else {
                pending.respond(.failure(MemberCommandError("\(change) refused: \(reason)")))
            }
        default:
            break
        }
    }

    /// Called after each step's applies complete and on ticks: answers the pending change once
    /// its slot is applied, or after 10 s.
    func checkPendingMembershipChange() {
        guard let pending = pendingMembershipChange else { return }
        if let slot = pending.slot, let membership = pending.membership, replica.appliedThrough >= slot {
            pendingMembershipChange = nil
            if let scheduled = replica.memberships.first(where: { $0.membership == membership }) {
                logger.notice("membership changed", metadata: [
                    "paxos.change": "\(pending.change)", "paxos.membership": "\(membership)", "paxos.membership.from": "\(scheduled.fromSlot)",
                ])
                pending.respond(.success("\(pending.change): \(membership), governing from slot \(scheduled.fromSlot)"))
            } else {
                pending.respond(.failure(MemberCommandError("\(pending.change) was not chosen (leadership changed while it was proposed); check MEMBER LIST and retry")))
            }
        } else if NIODeadline.now() - pending.startedAt > .seconds(10) {
            pendingMembershipChange = nil
            pending.respond(.failure(MemberCommandError("\(pending.change) timed out; check MEMBER LIST: it may still be chosen")))
        }
    }
}
