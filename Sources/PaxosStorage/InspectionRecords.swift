package import PaxosCore

/// What the `log` table holds overall.
package struct LogBounds: Hashable, Sendable {
    package var firstSlot: Slot?
    package var lastSlot: Slot?
    package var rowCount: Int
    package var chosenRowCount: Int
}

/// One `log` row, judged by `StoredLogRow.verified()` as the node judges it at start-up, but with
/// the problem kept as a value so a listing can show the bad row and go on.
package struct InspectedLogRow: Hashable, Sendable {
    package var slot: Slot
    package var ballot: Ballot
    package var chosen: Bool
    /// The stored command blob, as on disk; nodes agree on a slot when these bytes are equal.
    package var commandBytes: Bytes
    /// The decoded command; nil when the row failed its check.
    package var command: Command?
    /// Why the row cannot be trusted (bad chosen flag, checksum mismatch, undecodable command).
    package var problem: String?

    package init(slot: Slot, ballot: Ballot, chosen: Bool, commandBytes: Bytes, command: Command?, problem: String?) {
        self.slot = slot
        self.ballot = ballot
        self.chosen = chosen
        self.commandBytes = commandBytes
        self.command = command
        self.problem = problem
    }
}

/// One `kv` row: an applied key, its value, the revision of the write that set it (the slot
/// whose command wrote it, and the request's position there) and its deadline.
package struct InspectedKey: Hashable, Sendable {
    package var key: Bytes
    package var value: Bytes
    package var slot: Slot
    /// `kv.position` as stored (0…65535 in an intact row).
    package var position: Int64
    /// `kv.expire_at` as stored; nil: no deadline.
    package var expireAt: Int64?
    /// Why the row fails its checks (`StoredKVRow.verified`), or nil when it checks.
    package var problem: String?

    package init(key: Bytes, value: Bytes, slot: Slot, position: Int64 = 0, expireAt: Int64? = nil, problem: String? = nil) {
        self.key = key
        self.value = value
        self.slot = slot
        self.position = position
        self.expireAt = expireAt
        self.problem = problem
    }

    package init(key: Bytes, row: KVRow) {
        self.init(key: key, value: row.value, slot: row.revision.slot, position: Int64(row.revision.position),
                  expireAt: row.deadline.map { Int64(bitPattern: $0.rawValue) })
    }

    init(_ stored: StoredKVRow) {
        self.init(key: stored.key, value: stored.value, slot: stored.slot, position: stored.position,
                  expireAt: stored.expireAt, problem: stored.damage)
    }

    /// `slot.position`, as stored (no range check: a listing shows damaged rows too).
    package var revisionText: String { "\(slot).\(position)" }

    /// The row as the state machine holds it; nil when a column is out of range.
    package var row: KVRow? {
        guard let position = UInt16(exactly: position), let revision = Revision(checking: slot, position: position) else { return nil }
        if let expireAt, expireAt < 0 { return nil }
        return KVRow(value: value, revision: revision, deadline: expireAt.map { LeaderTime(rawValue: UInt64($0)) })
    }
}

/// One `sessions` row. `result` is nil when `resultCode` is not one `Schema` defines.
package struct InspectedSession: Hashable, Sendable {
    package var client: ClientID
    package var lastSequence: UInt64
    package var resultCode: Int64
    package var result: OperationResult?
    package var slot: Slot
    /// Why the row fails its checksum (`StateRowChecksum`), or nil when it checks.
    package var problem: String?

    package init(client: ClientID, lastSequence: UInt64, resultCode: Int64, reply: [UInt8]? = nil, slot: Slot, problem: String? = nil) {
        self.client = client
        self.lastSequence = lastSequence
        self.resultCode = resultCode
        self.result = StoredResult.result(resultCode, reply: reply)
        self.slot = slot
        self.problem = problem
    }

    package init(client: ClientID, lastSequence: UInt64, result: OperationResult, slot: Slot) {
        self.init(client: client, lastSequence: lastSequence, resultCode: StoredResult.code(result),
                  reply: StoredResult.reply(result), slot: slot)
    }
}

/// One `memberships` row, judged by `StoredMembershipRow.verified()` as the node judges it when
/// it loads, with the problem kept as a value.
package struct InspectedMembership: Hashable, Sendable {
    package var fromSlot: Slot
    package var epoch: UInt64
    /// 0 for a genesis membership.
    package var chosenInSlot: Slot
    /// The stored blob (a `Command.configure`); nodes agree on a membership when these are equal.
    package var membershipBytes: Bytes
    /// The decoded membership; nil when the row failed its check.
    package var membership: Membership?
    package var problem: String?

    package var isGenesis: Bool { chosenInSlot == .zero }
}

/// Sizes in bytes of the database and its WAL companions; nil for a file that does not exist.
package struct InspectedFiles: Hashable, Sendable {
    package var databaseBytes: Int64
    package var walBytes: Int64?
    package var shmBytes: Int64?
}

/// Which rows a log listing shows.
package enum LogFilter: String, Hashable, Sendable {
    case all
    /// Only rows known chosen.
    case chosen
    /// Only rows accepted but not (yet) known chosen.
    case acceptedOnly = "accepted_only"
}
