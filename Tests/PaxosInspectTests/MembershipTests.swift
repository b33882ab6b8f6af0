// Method: write a reconfigured three-node cluster through the storage layer (genesis, then a
// `configure` command chosen and applied in slot 2 that gives replica 3 a new incarnation), and
// read it with the tool: `summary` shows the incarnation, the cluster UUID and every membership;
// `log` shows the configure command; `verify` passes, and fails with the `membership` check on a
// copy whose membership rows are damaged or disagree with the log; `diff` reports a membership
// that differs between nodes as a safety violation (Schema.swift "memberships"; PaxosCore
// `Membership.swift`).

import Foundation
import PaxosCore
import PaxosInspectKit
import PaxosStorage
import Testing

@Suite("inspect: memberships")
struct MembershipInspectionTests {
    static let clusterUUID = "5f0c2c8e-membership-test"
    static let genesis = Membership.initial([ReplicaID(1), ReplicaID(2), ReplicaID(3)])
    static let replaced = Membership(epoch: 2, voters: [Member(id: ReplicaID(1), incarnation: .initial),
                                                       Member(id: ReplicaID(2), incarnation: .initial),
                                                       Member(id: ReplicaID(3), incarnation: Incarnation(0xBEEF))])

    static func command(_ slot: UInt64) -> Command {
        slot == 2 ? .configure(replaced) : Nodes.command(slot)
    }

    /// Replica `replica` with slots 1…`applied` chosen and applied; returns its directory.
    static func write(_ replica: UInt32, applied: UInt64, in scratch: Scratch) throws -> String {
        let directory = try scratch.path("reconfigured/\(replica)")
        let store = try SQLiteLogStore.open(path: directory + "/paxos.sqlite", clusterID: Nodes.clusterID, replicaID: ReplicaID(replica))
        defer { store.close() }
        try store.recordGenesis(clusterUUID: clusterUUID, memberships: [ScheduledMembership(fromSlot: Slot(1), membership: genesis)])
        let entries = (1...applied).map { LogEntry(slot: Slot($0), ballot: Nodes.leaderBallot, command: command($0), chosen: true) }
        try store.persist([PersistRecord(id: PersistID(1), promised: Nodes.leaderBallot, entries: entries)])
        try store.transaction { () throws(LogStoreError) in
            for slot in 1...applied { _ = try store.apply(slot: Slot(slot), command: command(slot)) }
        }
        return directory
    }

    static func cluster(in scratch: Scratch) throws -> [String] {
        [try write(1, applied: 6, in: scratch), try write(2, applied: 4, in: scratch), try write(3, applied: 3, in: scratch)]
    }

    @Test("summary: shows the incarnation, the cluster UUID and each membership with its slots and members")
    func summary() throws {
        try withScratch { scratch in
            let node = try Self.write(1, applied: 4, in: scratch)
            let reader = try InspectionReader.open(node)
            let incarnation = reader.meta.incarnation
            reader.close()
            let output = InspectionCommands.summary([node])
            #expect(output.status == .ok, "\(output.text)")
            let text = squeezed(output.text)
            #expect(text.contains("incarnation \(incarnation)"), "\(output.text)")
            #expect(text.contains("cluster uuid \(Self.clusterUUID)"), "\(output.text)")
            #expect(text.contains("memberships 2"), "\(output.text)")
            #expect(text.contains("EPOCH FROM SLOT CHOSEN IN MEMBERS"), "\(output.text)")
            #expect(text.contains("1 1 genesis voters [1/1, 2/1, 3/1]"), "\(output.text)")
            #expect(text.contains("2 130 2 voters [1/1, 2/1, 3/beef]"), "\(output.text)")
            #expect(text.contains("1 membership") || text.contains("2 memberships checked"), "\(output.text)")

            let json = output.json.rendered()
            #expect(json.contains("\"incarnation\":\"\(incarnation)\",\"cluster_uuid\":\"\(Self.clusterUUID)\""), "\(json)")
            #expect(json.contains("{\"from_slot\":130,\"epoch\":2,\"chosen_in_slot\":2,"), "\(json)")
            #expect(json.contains("{\"id\":3,\"incarnation\":\"beef\"}"), "\(json)")
        }
    }

    @Test("summary: a database before genesis says so")
    func summaryBeforeGenesis() throws {
        try withScratch { scratch in
            let node = try Nodes.standardCluster(in: scratch)[0]
            let output = InspectionCommands.summary([node])
            let text = squeezed(output.text)
            #expect(text.contains("cluster uuid unset (no genesis recorded)"), "\(output.text)")
            #expect(text.contains("memberships none recorded"), "\(output.text)")
            #expect(output.json.rendered().contains("\"cluster_uuid\":null,\"memberships\":[]"))
        }
    }

    @Test("log: a configure command is listed with its epoch, voters and incarnations")
    func logListing() throws {
        try withScratch { scratch in
            let node = try Self.write(1, applied: 3, in: scratch)
            let output = InspectionCommands.log(node, from: .zero, through: Slot(10), filter: .all, limit: nil)
            #expect(output.text.contains("CONFIGURE epoch 2: voters [1/1, 2/1, 3/beef]"), "\(output.text)")
            #expect(output.json.rendered().contains("\"type\":\"configure\""))
        }
    }

    struct Damage: Sendable, CustomStringConvertible {
        var name: String
        var slot: UInt64?
        var reason: String
        var operate: @Sendable (Surgeon) throws -> Void
        var description: String { name }
    }

    static let damages: [Damage] = [
        Damage(name: "a changed membership checksum", slot: 2, reason: "checksum mismatch") {
            try $0.execute("UPDATE memberships SET checksum = checksum + 1 WHERE from_slot = 130")
        },
        Damage(name: "a genesis row with another epoch column (the checksum covers it)", slot: nil, reason: "checksum mismatch") {
            try $0.execute("UPDATE memberships SET epoch = 5 WHERE from_slot = 1")
        },
        Damage(name: "a membership that is not the configure command of its slot, resealed", slot: 2,
               reason: "not the chosen configure command of slot 2") {
            try $0.setMembership(Membership(epoch: 2, voters: [Member(id: ReplicaID(1), incarnation: .initial)]), fromSlot: 130, chosenInSlot: 2)
        },
        Damage(name: "a membership that governs from the wrong slot, resealed", slot: 2, reason: "so it governs from slot 130") {
            try $0.execute("DELETE FROM memberships WHERE from_slot = 130")
            try $0.setMembership(MembershipInspectionTests.replaced, fromSlot: 131, chosenInSlot: 2)
        },
        Damage(name: "an applied configure slot without its row", slot: 2, reason: "no membership from slot 130") {
            try $0.execute("DELETE FROM memberships WHERE from_slot = 130")
        },
        Damage(name: "a membership chosen above the applied slot", slot: 9, reason: "above the applied slot") {
            try $0.setMembership(MembershipInspectionTests.replaced, fromSlot: 137, chosenInSlot: 9)
        },
    ]

    @Test("verify: an intact reconfigured node passes, and checks its memberships")
    func intact() throws {
        try withScratch { scratch in
            for node in try Self.cluster(in: scratch) {
                let reader = try InspectionReader.open(node)
                defer { reader.close() }
                let result = try reader.verify()
                #expect(result.ok, "\(result)")
                #expect(result.membershipsChecked == 2)
                #expect(result.text().contains("2 memberships checked"), "\(result.text())")
            }
        }
    }

    @Test("verify: a damaged membership row fails the membership check, naming the slot that chose it", arguments: damages)
    func damaged(_ damage: Damage) throws {
        try withScratch { scratch in
            let original = try Self.write(1, applied: 6, in: scratch)
            let copy = try scratch.copyNode(original + "/paxos.sqlite", to: "damaged")
            try Surgeon.operate(on: copy + "/paxos.sqlite", damage.operate)
            let reader = try InspectionReader.open(copy)
            defer { reader.close() }
            let failure = try #require(try reader.verify().failure, "\(damage) went unnoticed")
            #expect(failure.check == .membership, "\(failure)")
            #expect(failure.slot?.rawValue == damage.slot, "\(failure)")
            #expect(failure.reason.contains(damage.reason), "\(failure)")
        }
    }

    @Test("diff: nodes at different slots agree on their memberships")
    func agree() throws {
        try withScratch { scratch in
            let report = try DiffTests.compare(try Self.cluster(in: scratch))
            #expect(report.ok, "\(report.text())")
            #expect(report.comparedMemberships == 2 && report.membershipDisagreements.isEmpty)
            #expect(report.text().contains("memberships: 2 recorded on two or more nodes; all agree"), "\(report.text())")
        }
    }

    @Test("diff: a membership that differs between nodes for the same from slot is a safety violation")
    func disagree() throws {
        try withScratch { scratch in
            let nodes = try Self.cluster(in: scratch)
            let copy = try scratch.copyNode(nodes[1] + "/paxos.sqlite", to: "forked")
            let other = Membership(epoch: 2, voters: [Member(id: ReplicaID(1), incarnation: .initial), Member(id: ReplicaID(2), incarnation: .initial)])
            try Surgeon.operate(on: copy + "/paxos.sqlite") { try $0.setMembership(other, fromSlot: 130, chosenInSlot: 2) }
            let report = try DiffTests.compare([nodes[0], copy])
            #expect(!report.ok)
            #expect(report.membershipDisagreements.map(\.fromSlot) == [Slot(130)])
            let text = report.text()
            #expect(text.contains("!!! SAFETY VIOLATION: the membership from slot 130 differs between nodes !!!"), "\(text)")
            #expect(text.contains("epoch 2: voters [1/1, 2/1]"), "\(text)")
            #expect(text.contains("epoch 2: voters [1/1, 2/1, 3/beef]"), "\(text)")
            let output = InspectionCommands.diff([nodes[0], copy])
            #expect(output.status == .checkFailed)
            #expect(output.json.rendered().contains("\"memberships\":{\"compared\":2,\"disagreements\":[{\"from_slot\":130,"), "\(output.json.rendered())")
        }
    }
}
