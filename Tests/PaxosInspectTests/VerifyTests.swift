// Method: write the standard leader database through the storage layer, copy it, damage the
// copy through a separate writable SQLite connection (Surgeon), and run verify on the copy. Each
// kind of damage MUST be reported as the first failure with the check it breaks, the file and,
// where there is one, the slot; an intact database MUST pass with its kv table equal to a replay
// of its chosen log. Covers the invariants in Schema.swift ("Integrity") and
// InspectionReader+Verify.swift.

import Foundation
import PaxosCore
import PaxosInspectKit
import PaxosStorage
import Testing

@Suite("inspect: verify")
struct VerifyTests {
    /// A kind of damage, the check it must fail and the slot it must name.
    struct Damage: Sendable, CustomStringConvertible {
        var name: String
        var check: InspectionCheck
        var slot: UInt64?
        /// Words the failure's reason must contain.
        var reason: String
        var operate: @Sendable (Surgeon) throws -> Void

        var description: String { name }
    }

    static let damages: [Damage] = [
        Damage(name: "a flipped byte in a chosen, applied command", check: .checksum, slot: 4, reason: "checksum mismatch") {
            try $0.flipCommandByte(at: 4)
        },
        Damage(name: "a flipped byte in an accepted, unchosen command", check: .checksum, slot: 11, reason: "checksum mismatch") {
            try $0.flipCommandByte(at: 11, fromEnd: 3)
        },
        Damage(name: "a changed checksum", check: .checksum, slot: 6, reason: "checksum mismatch") {
            try $0.execute("UPDATE log SET checksum = checksum + 1 WHERE slot = 6")
        },
        Damage(name: "a chosen flag that is neither 0 nor 1", check: .checksum, slot: 3, reason: "chosen flag is 2") {
            try $0.execute("UPDATE log SET chosen = 2 WHERE slot = 3")
        },
        Damage(name: "a command that no longer decodes, checksum resealed", check: .checksum, slot: 2, reason: "does not decode") {
            try $0.setCommand([0x07, 0x01], at: 2, resealed: true)
        },
        Damage(name: "an applied slot missing from the log", check: .frontier, slot: 7, reason: "applied across a hole") {
            try $0.execute("DELETE FROM log WHERE slot = 7")
        },
        Damage(name: "a slot below the frontier stored as not chosen", check: .frontier, slot: 9, reason: "not chosen") {
            try $0.execute("UPDATE log SET chosen = 0 WHERE slot = 9")
        },
        Damage(name: "an applied slot above the chosen frontier", check: .meta, slot: nil, reason: "above the chosen frontier") {
            try $0.execute("UPDATE meta SET applied_through = 11")
        },
        Damage(name: "a chosen frontier above the last log slot", check: .meta, slot: nil, reason: "above the last log slot") {
            try $0.execute("UPDATE meta SET chosen_through = 13, applied_through = 13")
        },
        Damage(name: "a vote above the promise", check: .ballot, slot: 1, reason: "above the promised ballot") {
            try $0.execute("UPDATE meta SET promised_round = 2")
        },
        Damage(name: "a byte changed in a kv value", check: .checksum, slot: 10, reason: "table kv, key \"user:2\"") {
            try $0.execute("UPDATE kv SET value = CAST('tampered' AS BLOB) WHERE key = CAST('user:2' AS BLOB)")
        },
        Damage(name: "a changed session sequence", check: .checksum, slot: 10, reason: "table sessions, client 7") {
            try $0.execute("UPDATE sessions SET last_sequence = 99 WHERE client_id = 7")
        },
        Damage(name: "a kv value no replay gives", check: .replay, slot: nil, reason: "key \"user:2\"") {
            try $0.executeResealed("UPDATE kv SET value = X'00' WHERE key = CAST('user:2' AS BLOB)")
        },
        Damage(name: "a kv row missing", check: .replay, slot: nil, reason: "lacks it") {
            try $0.executeResealed("DELETE FROM kv WHERE key = CAST('user:0' AS BLOB)")
        },
        Damage(name: "a kv row written by a slot never applied", check: .table, slot: 11, reason: "outside the applied slots") {
            try $0.executeResealed("UPDATE kv SET slot = 11 WHERE key = CAST('user:3' AS BLOB)")
        },
        Damage(name: "a session with an unknown result code", check: .table, slot: 8, reason: "unknown result code 9") {
            try $0.executeResealed("UPDATE sessions SET last_result = 9 WHERE client_id = 8")
        },
        Damage(name: "a session whose sequence no replay gives", check: .replay, slot: nil, reason: "client 7") {
            try $0.executeResealed("UPDATE sessions SET last_sequence = 99 WHERE client_id = 7")
        },
        Damage(name: "a watch change log row missing", check: .replay, slot: 10, reason: "kv_changes has no row") {
            try $0.execute("DELETE FROM kv_changes WHERE slot = 10")
        },
        Damage(name: "a watch change log row damaged", check: .replay, slot: 10, reason: "fails its checksum") {
            try $0.execute("UPDATE kv_changes SET checksum = checksum + 1 WHERE slot = 10")
        },
    ]

    @Test("verify: an intact database passes, and its kv table equals a replay of its chosen log")
    func intact() throws {
        try withScratch { scratch in
            for node in try Nodes.standardCluster(in: scratch) {
                let reader = try InspectionReader.open(node)
                defer { reader.close() }
                let result = try reader.verify()
                #expect(result.ok, "\(result)")
                #expect(result.replayedThrough == reader.meta.appliedThrough)
                let rows = try reader.logBounds().rowCount
                #expect(result.rowsChecked == rows)
            }
        }
    }

    @Test("verify: damage is the first failure, naming the file, the slot and the check", arguments: damages)
    func damaged(_ damage: Damage) throws {
        try withScratch { scratch in
            let original = try Nodes.standardCluster(in: scratch)[0]
            let copy = try scratch.copyNode(original + "/paxos.sqlite", to: "damaged")
            try Surgeon.operate(on: copy + "/paxos.sqlite", damage.operate)

            let reader = try InspectionReader.open(copy)
            defer { reader.close() }
            let result = try reader.verify()
            let failure = try #require(result.failure, "\(damage) went unnoticed")
            #expect(failure.check == damage.check, "\(failure)")
            #expect(failure.slot?.rawValue == damage.slot, "\(failure)")
            #expect(failure.reason.contains(damage.reason), "\(failure)")
            #expect(failure.path == copy + "/paxos.sqlite")
            #expect(result.text().contains("\(copy)/paxos.sqlite: FAILED [\(damage.check.rawValue)]"), "\(result.text())")
            if let slot = damage.slot { #expect(result.text().contains("slot \(slot): ")) }
        }
    }

    @Test("log: a damaged row is listed as CORRUPT with its reason, and the listing goes on")
    func damagedRowInListing() throws {
        try withScratch { scratch in
            let original = try Nodes.standardCluster(in: scratch)[0]
            let copy = try scratch.copyNode(original + "/paxos.sqlite", to: "damaged")
            try Surgeon.operate(on: copy + "/paxos.sqlite") { try $0.flipCommandByte(at: 5) }
            let output = InspectionCommands.log(copy, from: .zero, through: Slot(100), filter: .all, limit: nil)
            #expect(output.status == .checkFailed)
            #expect(output.text.contains("CORRUPT: checksum mismatch"), "\(output.text)")
            #expect(output.text.contains("c7#12 PUT"), "the rows after the damaged one are listed too")
        }
    }

    @Test("verify: after compaction the full replay is skipped and the rows written above the snapshot slot are explained by the log")
    func compacted() throws {
        try withScratch { scratch in
            let original = try Nodes.standardCluster(in: scratch)[0]
            let copy = try scratch.copyNode(original + "/paxos.sqlite", to: "compacted")
            let store = try SQLiteLogStore.open(path: copy + "/paxos.sqlite", clusterID: Nodes.clusterID, replicaID: ReplicaID(1))
            while !(try store.compact(through: Slot(6), maxRows: 2).finished) {}
            store.close()

            var reader = try InspectionReader.open(copy)
            var result = try reader.verify()
            reader.close()
            #expect(result.ok, "\(result)")
            #expect(result.replayedThrough == nil && result.replaySkipped != nil)
            // user:1 (slot 9), user:2 (10), user:3 (7); clients 7 (10) and 8 (8).
            #expect(result.rowsExplained == 5)
            #expect(result.text().contains("5 rows written above it explained"), "\(result.text())")

            // A value above the snapshot slot that its slot's command does not put is caught …
            let damaged = try scratch.copyNode(copy + "/paxos.sqlite", to: "damaged-above")
            try Surgeon.operate(on: damaged + "/paxos.sqlite") {
                try $0.executeResealed("UPDATE kv SET value = X'00' WHERE key = CAST('user:3' AS BLOB)")
            }
            reader = try InspectionReader.open(damaged)
            result = try reader.verify()
            reader.close()
            #expect(result.failure?.check == .replay && result.failure?.slot == Slot(7), "\(result)")

            // … one written at or below it cannot be: only the peers' tables (diff) can tell.
            let below = try scratch.copyNode(copy + "/paxos.sqlite", to: "damaged-below")
            try Surgeon.operate(on: below + "/paxos.sqlite") {
                try $0.executeResealed("UPDATE kv SET value = X'00' WHERE key = CAST('user:0' AS BLOB)")
            }
            reader = try InspectionReader.open(below)
            result = try reader.verify()
            reader.close()
            #expect(result.ok, "a known limit of verify after compaction: \(result)")
        }
    }
}
