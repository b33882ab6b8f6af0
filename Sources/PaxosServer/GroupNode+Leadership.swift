import CoreMetrics
import PaxosCore

/// Leadership metrics: leader changes, `paxos_is_leader`, and the leader's view of each peer's
/// lag (`paxos_peer_lag_slots`).
///
/// The core does not track how far each acceptor has got (Multi-Paxos needs only a majority), so
/// this shell derives it from the messages a peer sends the leader: an `accepted` names the
/// slots the peer accepted, a `catchUpRequest` says it has every slot below `from`. A peer's lag
/// is the leader's chosen frontier less the highest slot it showed. On taking over, every peer
/// starts at the new leader's chosen frontier, so the lag of a peer that is down counts the
/// slots chosen since then: a lower bound, not the peer's full distance.
extension GroupNode {
    func noteLeadership(previousRole: Role) {
        if let leader = replica.leaderHint, leader != lastLeader {
            // The first leader a starting replica learns of is not a change.
            if lastLeader != nil { metrics.leaderChanges.increment() }
            lastLeader = leader
        }
        let role = replica.role
        guard role != previousRole else { return }
        if role == .leader {
            metrics.isLeader.record(1)
            peerShown = [:]
        } else if previousRole == .leader {
            metrics.isLeader.record(0)
            // Only the leader measures lag: a deposed one reports none rather than a stale view.
            for gauge in peerLagGauges.values { gauge.record(0) }
        }
    }

    /// Called with every protocol message from a peer, before the core steps it.
    func notePeerProgress(_ message: Message, from peer: ReplicaID) {
        guard replica.role == .leader else { return }
        let shown: Slot
        switch message {
        case .accepted(_, let slots, _):
            guard let top = slots.max() else { return }
            shown = top
        case .catchUpRequest(let from, _):
            guard from > .zero else { return }
            shown = from.advanced(by: -1)
        default:
            return
        }
        if shown > peerShown[peer, default: .zero] { peerShown[peer] = shown }
    }

    /// Once per tick on the leader: each member's lag, from the slots it has shown.
    func recordPeerLag() {
        guard replica.role == .leader else { return }
        let chosen = replica.chosenThrough
        for peer in replica.latestMembership.ids where peer != settings.id {
            let shown = peerShown[peer] ?? chosen
            if peerShown[peer] == nil { peerShown[peer] = chosen }
            let gauge = peerLagGauges[peer] ?? metrics.peerLag(peer)
            peerLagGauges[peer] = gauge
            gauge.record(Int64(clamping: shown < chosen ? chosen.rawValue - shown.rawValue : 0))
        }
    }
}
