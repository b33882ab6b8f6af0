import PaxosCore

/// A nemesis that cuts at the moment quorum intersection is broken
/// (`SimConfiguration.cutAtBrokenQuorum`, on for `PlantedBug.applyMembershipImmediately`).
///
/// Paxos stays safe because any two quorums of a slot's acceptors intersect: once a slot is
/// chosen, every majority of its membership holds a replica that voted for the chosen command
/// (or knows it chosen), and a later phase 1 over that majority finds it. A bug that counts votes
/// under the wrong membership breaks this only in a short window, and only a partition placed
/// inside that window turns it into two commands chosen for one slot: random faults land there
/// about never (no seed of 200 caught the bug). So, like the power-loss trigger of
/// `Simulation+Faults.swift`, the nemesis looks for the window itself.
///
/// After every step it looks at the slots chosen recently: a slot `j` whose membership is settled
/// (every slot up to `j − distance` is chosen), and for which the live replicas that neither hold
/// `j`'s command nor know `j` chosen include a majority of that membership, with at least one of
/// them judging `j` by it. Then it cuts those replicas off from everyone else: they can elect a
/// leader among themselves, and it does not learn what `j` holds.
///
/// A correct cluster never gets here: `j` was chosen by durable votes of a majority of its
/// membership, counted from voters named with their incarnation, and any majority of it includes
/// one of them. So the trigger changes no correct run; it fires only on a broken intersection.
extension Simulation {
    /// Slots chosen recently enough that some live replica may still lack them, at most this many.
    static let quorumWatchSlotsMax = 64

    /// Remembers a slot newly known chosen, for `watchQuorums`.
    func watchChosen(_ slot: Slot) {
        guard configuration.cutAtBrokenQuorum, !healed else { return }
        membership.watched.append(slot)
        if membership.watched.count > Self.quorumWatchSlotsMax { membership.watched.removeFirst() }
        while groups[0].chosen[membership.chosenFrontier.next] != nil {
            membership.chosenFrontier = membership.chosenFrontier.next
        }
    }

    /// The trigger (see the type's essay). Runs after every step of a one-group run with the knob.
    func watchQuorums() {
        guard configuration.cutAtBrokenQuorum, !healed, !membership.watched.isEmpty else { return }
        let distance = configuration.plantedBug == .applyMembershipImmediately ? 1 : Membership.activationDistance
        var keep: [Slot] = []
        for slot in membership.watched {
            guard let command = groups[0].chosen[slot] else { continue }
            // Settled: every configure that can govern `slot` is chosen, in a contiguous prefix.
            guard slot.rawValue <= membership.chosenFrontier.rawValue + distance else {
                keep.append(slot)
                continue
            }
            let governing = governingMembership(of: slot, distance: distance)
            var lacking: [Int] = []
            for index in replicas.indices {
                guard let replica = replicas[index].replica else { continue }
                if replica.chosenThrough >= slot || replica.entry(at: slot)?.command == command || replica.entry(at: slot)?.chosen == true { continue }
                lacking.append(index)
            }
            if lacking.isEmpty { continue }
            keep.append(slot)
            let voters = lacking.filter { governing.isVoter(replicas[$0].replica!.me) }
            guard voters.count >= governing.majority,
                  voters.contains(where: { replicas[$0].replica!.membership(at: slot) == governing }) else { continue }
            let side = voters.map { replicas[$0].id.rawValue }
            let rest = (1...UInt32(configuration.nodes)).filter { !side.contains($0) }
            stats.quorumCuts += 1
            trace("slot \(slot): \(side) lack its command and are a majority of \(governing); cutting them off")
            cutBetween(side, rest)
            membership.watched = []
            return
        }
        membership.watched = keep
    }

    /// The membership that governs `slot` as the chosen configures have it (`distance` slots
    /// after the one that chose it).
    func governingMembership(of slot: Slot, distance: UInt64) -> Membership {
        membership.chosen.filter { $0.key.rawValue + distance <= slot.rawValue }.max { $0.key < $1.key }?.value ?? membership.bootstrap
    }
}
