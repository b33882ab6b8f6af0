// Databases written by the real storage layer (SQLiteLogStore: persist records, apply slots),
// shaped like a small three-node cluster, and from simulated clusters.

import PaxosCore
@testable import PaxosStorage
import PaxosTestKit

enum Nodes {
    static let clusterID = "inspect-test"

    /// The command chosen for each slot of the standard history: puts by client 7 to four keys,
    /// a no-op at slot 5, a delete by client 8 at slot 8, a retry of slot 7's request (answered
    /// from the session, not applied twice) at slot 9, and an out-of-date request (superseded)
    /// at slot 10. Applied through slot 10 the table is user:0=value-4 (slot 4), user:1=value-9
    /// (9), user:2=value-10 (10), user:3=value-7 (7).
    static func command(_ slot: UInt64) -> Command {
        switch slot {
        case 5: return .noop
        case 8: return .batch([request(8, 1, .delete(key: bytes("user:1")))])
        case 9: return .batch([request(7, 7, put("user:3", "value-7")), request(7, 9, put("user:1", "value-9"))])
        case 10: return .batch([request(7, 6, put("user:2", "value-6")), request(7, 10, put("user:2", "value-10"))])
        default: return .batch([request(7, slot, put("user:\(slot % 4)", "value-\(slot)"))])
        }
    }

    static func request(_ client: UInt64, _ sequence: UInt64, _ operation: Operation) -> ClientRequest {
        ClientRequest(client: ClientID(client), sequence: sequence, operation: operation)
    }

    static func put(_ key: String, _ value: String) -> Operation { .put(key: bytes(key), value: bytes(value)) }

    static func bytes(_ text: String) -> Bytes { Array(text.utf8) }

    static let leaderBallot = Ballot(round: 3, replica: ReplicaID(1))

    /// One node of the standard cluster: slots 1…`accepted` accepted in ballot 3.1, of which
    /// 1…`chosen` are known chosen and 1…`applied` applied.
    struct Shape {
        var replica: UInt32
        var accepted: UInt64
        var chosen: UInt64
        var applied: UInt64
    }

    /// Node 1 leads and is furthest; node 2 has applied less than it learned; node 3 lags.
    static let standard = [
        Shape(replica: 1, accepted: 12, chosen: 10, applied: 10),
        Shape(replica: 2, accepted: 12, chosen: 10, applied: 8),
        Shape(replica: 3, accepted: 6, chosen: 6, applied: 6),
    ]

    /// The standard history of `placement`'s group: the commands of `command(_:)`, with every
    /// key and value of a group other than 0 prefixed `g<group>/`, so that no two groups hold
    /// the same commands (a diff that paired group 1 of one node with group 2 of another would
    /// see every slot disagree).
    static func command(_ slot: UInt64, in placement: GroupPlacement) -> Command {
        let command = command(slot)
        guard placement.group > 0, case .batch(let requests) = command else { return command }
        let prefix = bytes("g\(placement.group)/")
        return .batch(requests.map { request in
            let operation: Operation = switch request.operation {
            case .put(let key, let value): .put(key: prefix + key, value: prefix + value)
            case .delete(let key): .delete(key: prefix + key)
            case .key, .all, .txn: preconditionFailure("the standard history holds no key or composite operations")
            }
            return ClientRequest(client: request.client, sequence: request.sequence, operation: operation)
        })
    }

    /// Writes one node's database at `path` (group `placement`'s) and closes it (so the file
    /// holds every row).
    static func write(_ shape: Shape, at path: String, placement: GroupPlacement = .single) throws {
        let store = try SQLiteLogStore.open(path: path, clusterID: clusterID, replicaID: ReplicaID(shape.replica), placement: placement)
        defer { store.close() }
        let command = { (slot: UInt64) in Self.command(slot, in: placement) }
        try store.persist([PersistRecord(id: PersistID(1), promised: leaderBallot, entries: [])])
        let accepted = (1...shape.accepted).map { LogEntry(slot: Slot($0), ballot: leaderBallot, command: command($0), chosen: false) }
        try store.persist([PersistRecord(id: PersistID(2), promised: nil, entries: accepted)])
        let chosen = (1...shape.chosen).map { LogEntry(slot: Slot($0), ballot: leaderBallot, command: command($0), chosen: true) }
        try store.persist([PersistRecord(id: PersistID(3), promised: nil, entries: chosen)])
        try store.transaction { () throws(LogStoreError) in
            for slot in 1...shape.applied { _ = try store.apply(slot: Slot(slot), command: command(slot)) }
        }
    }

    /// The standard cluster under `scratch/nodes/<n>/paxos.sqlite`; returns the node directories.
    static func standardCluster(in scratch: Scratch) throws -> [String] {
        try standard.map { shape in
            let directory = try scratch.path("nodes/\(shape.replica)")
            try write(shape, at: directory + "/paxos.sqlite")
            return directory
        }
    }

    /// The standard cluster with `groupCount` groups per node: `scratch/<name>/<n>/group-<g>.sqlite`,
    /// every group of a node in the node's standard shape; returns the node directories.
    static func groupedCluster(in scratch: Scratch, groupCount: UInt32, name: String = "grouped") throws -> [String] {
        try standard.map { shape in
            let directory = try scratch.path("\(name)/\(shape.replica)")
            for placement in GroupPlacement.all(groupCount: groupCount) {
                try write(shape, at: directory + "/" + placement.fileName, placement: placement)
            }
            return directory
        }
    }

    /// Writes what a simulated replica left on its disk into a database, the way a node would
    /// have: its promise and log in one persist, then every applied slot applied in order.
    static func write(_ state: DurableState, replica: ReplicaID, clusterID: String, at path: String) throws {
        let store = try SQLiteLogStore.open(path: path, clusterID: clusterID, replicaID: replica)
        defer { store.close() }
        try store.persist([PersistRecord(id: PersistID(1), promised: state.promised, entries: state.entries)])
        let bySlot = Dictionary(state.entries.map { ($0.slot, $0.command) }, uniquingKeysWith: { first, _ in first })
        try store.transaction { () throws(LogStoreError) in
            var slot = Slot(1)
            while slot <= state.appliedThrough {
                guard let command = bySlot[slot] else {
                    throw LogStoreError.invalidArgument("simulated replica \(replica) applied slot \(slot) but holds no entry for it")
                }
                _ = try store.apply(slot: slot, command: command)
                slot = slot.next
            }
        }
    }
}
