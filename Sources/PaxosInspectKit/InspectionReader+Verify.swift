import Foundation
package import PaxosCore
package import PaxosStorage

/// What `verify` found in one database: how much it checked, and the first failed check.
package struct VerifyResult: Hashable, Sendable {
    package var path: String
    /// The group the database holds (`InspectionReader.placement`).
    package var placement: GroupPlacement
    package var rowsChecked = 0
    package var keysChecked = 0
    package var sessionsChecked = 0
    package var membershipsChecked = 0
    /// The slot the replay of the chosen log reached; nil when the replay was skipped or the
    /// check stopped before it.
    package var replayedThrough: Slot?
    /// Why the kv table was not compared with a replay, when it was not.
    package var replaySkipped: String?
    /// After compaction: how many kv and session rows written above the snapshot slot were
    /// checked against their slot's command (`replay` then checks only those); nil otherwise.
    package var rowsExplained: Int?
    /// The first failed check; verification stops there.
    package var failure: InspectionFailure?

    package var ok: Bool { failure == nil }

    package init(path: String, placement: GroupPlacement = .single) {
        self.path = path
        self.placement = placement
    }
}

/// `verify`: every check a database can pass on its own, stopping at the first failure.
///
/// 0. `placement`: a file named as a node names its databases holds the group its name says:
///    `paxos.sqlite` a single group (no placement row), `group-<g>.sqlite` group g of several.
///    The node would refuse it otherwise. Files named anything else (copies, backups) pass.
/// 1. `meta`: `snapshot_slot ≤ applied_through ≤ chosen_through ≤ last log slot` (the last log
///    slot counts as the snapshot slot when compaction left no row above it).
/// 2. Over every log row, in slot order: `checksum` (chosen flag, CRC-32C, command decodes);
///    `ballot` (no accepted ballot above the promise); `frontier` (every slot in
///    `snapshot_slot+1 … chosen_through` is stored and chosen, so nothing was applied across a
///    hole).
/// 2b. `membership`: every `memberships` row passes the node's own check (checksum, a
///    `configure` blob that decodes with the epoch of its column, from_slot = chosen_in_slot + α
///    unless it is a genesis row), was chosen at or below the applied slot, has an epoch above
///    the row before it, and, where the log still holds the slot that chose it, equals that
///    slot's chosen command byte for byte; and every applied `configure` slot still in the log
///    has its row.
/// 3. `checksum` of the applied state: every kv row and session passes its checksum
///    (`StateRowChecksum`); then `table`: every kv row and session was written by a slot in
///    `1 … applied_through`, and every session's result code is one `Schema` defines.
/// 4. `replay`: the kv and sessions tables equal a replay of the chosen commands of slots
///    `1 … applied_through`, key, value and writing slot alike. That needs the whole log, so once
///    `snapshot_slot > 0` (the log below it compacted away, the tables standing for it) the full
///    replay is skipped, and says so, and what the remaining log can vouch for is checked
///    instead: every kv row and session written above the snapshot slot is explained by its
///    slot's chosen command (a put of exactly that key and value; a request of that client with
///    that sequence). Rows written at or below the snapshot slot can only be checked by `table`
///    (written by an applied slot) and, across nodes, by `diff`.
extension InspectionReader {
    package func verify() throws(InspectionError) -> VerifyResult {
        var result = VerifyResult(path: path, placement: placement)
        if let failure = checkFileName() {
            result.failure = failure
            return result
        }
        if let failure = checkMeta(try logBounds()) {
            result.failure = failure
            return result
        }
        var replay: KVReplay? = meta.snapshotSlot == .zero ? KVReplay() : nil
        var tail: [Slot: Command]? = meta.snapshotSlot == .zero ? nil : [:]
        if let failure = try scanLog(replay: &replay, tail: &tail, rowsChecked: &result.rowsChecked) {
            result.failure = failure
            return result
        }
        if let failure = try checkMemberships(checked: &result.membershipsChecked) {
            result.failure = failure
            return result
        }
        let keys = try keyValueRows()
        let sessions = try sessionRows()
        result.keysChecked = keys.count
        result.sessionsChecked = sessions.count
        if let failure = checkTables(keys: keys, sessions: sessions) {
            result.failure = failure
            return result
        }
        guard let replay else {
            result.replaySkipped = "log rows up to the snapshot slot \(meta.snapshotSlot) may have been compacted away, "
                + "so the kv table cannot be rebuilt from the log alone"
            let (failure, explained) = explainRowsAboveSnapshot(keys: keys, sessions: sessions, commands: tail ?? [:])
            result.failure = failure
            result.rowsExplained = explained
            return result
        }
        result.replayedThrough = replay.appliedThrough
        if let reason = replay.firstDifference(keys: keys, sessions: sessions, stored: "the kv table",
                                               expected: "a replay of the chosen log through slot \(replay.appliedThrough)") {
            result.failure = InspectionFailure(path: path, slot: nil, check: .replay, reason: reason)
        } else if replay.clock != meta.logClock {
            result.failure = InspectionFailure(path: path, slot: nil, check: .replay, reason:
                "meta.log_clock is \(meta.logClock.rawValue), but a replay of the chosen log through slot \(replay.appliedThrough) gives \(replay.clock.rawValue)")
        } else if let (slot, reason) = replay.firstChangesDifference(try changeRows(), from: max(meta.changesFrom, Slot(1))) {
            // The watch's change log: what CHANGES answers must be what the chosen log did.
            result.failure = InspectionFailure(path: path, slot: slot, check: .replay, reason: reason)
        }
        return result
    }

    /// The `placement` check: the group a file's name promises is the group it holds.
    func checkFileName() -> InspectionFailure? {
        let name = (path as NSString).lastPathComponent
        let fits: Bool
        if name == GroupPlacement.singleFileName {
            fits = placement.isSingle
        } else if let group = GroupPlacement.group(ofFileName: name) {
            fits = !placement.isSingle && placement.group == group
        } else {
            return nil
        }
        guard !fits else { return nil }
        return InspectionFailure(path: path, slot: nil, check: .placement,
                                 reason: "the file is named \(name) but holds \(placement.holding), whose file is "
                                    + "\(placement.fileName): a node would open it as another group and refuse it")
    }

    func checkMeta(_ bounds: LogBounds) -> InspectionFailure? {
        let meta = meta
        func failure(_ reason: String) -> InspectionFailure { InspectionFailure(path: path, slot: nil, check: .meta, reason: reason) }
        for (name, slot) in [("chosen_through", meta.chosenThrough), ("applied_through", meta.appliedThrough),
                             ("snapshot_slot", meta.snapshotSlot)] where slot.rawValue > UInt64(Int64.max) {
            return failure("meta.\(name) is negative (\(Int64(bitPattern: slot.rawValue)))")
        }
        guard meta.snapshotSlot <= meta.appliedThrough else {
            return failure("the snapshot slot \(meta.snapshotSlot) is above the applied slot \(meta.appliedThrough)")
        }
        guard meta.appliedThrough <= meta.chosenThrough else {
            return failure("the applied slot \(meta.appliedThrough) is above the chosen frontier \(meta.chosenThrough)")
        }
        let lastSlot = max(bounds.lastSlot ?? .zero, meta.snapshotSlot)
        guard meta.chosenThrough <= lastSlot else {
            return failure("the chosen frontier \(meta.chosenThrough) is above the last log slot \(lastSlot)")
        }
        return nil
    }

    /// Checks every row and feeds the applied ones to `replay`, or keeps their commands in `tail`.
    /// - Precondition: `checkMeta` passed, so the meta slots are ordered and below 2^63.
    func scanLog(replay: inout KVReplay?, tail: inout [Slot: Command]?, rowsChecked: inout Int) throws(InspectionError) -> InspectionFailure? {
        let meta = meta
        func failure(_ slot: Slot, _ check: InspectionCheck, _ reason: String) -> InspectionFailure {
            InspectionFailure(path: path, slot: slot, check: check, reason: reason)
        }
        let cursor = try logRows()
        var expected = meta.snapshotSlot.next
        while let row = try cursor.next() {
            rowsChecked += 1
            if let problem = row.problem { return failure(row.slot, .checksum, problem) }
            guard row.ballot <= meta.promised else {
                return failure(row.slot, .ballot, "accepted in ballot \(row.ballot), above the promised ballot \(meta.promised) "
                    + "(an acceptor raises its promise in the transaction that stores its vote)")
            }
            guard row.slot > meta.snapshotSlot, row.slot <= meta.chosenThrough else { continue }
            if row.slot != expected { return holeFailure(at: expected) }
            guard row.chosen else {
                let applied = row.slot <= meta.appliedThrough ? " and was applied" : ""
                return failure(row.slot, .frontier, "stored as not chosen, but it is at or below the chosen frontier \(meta.chosenThrough)\(applied)")
            }
            if row.slot <= meta.appliedThrough, let command = row.command {
                if replay != nil { replay?.apply(slot: row.slot, command: command) }
                tail?[row.slot] = command
            }
            expected = expected.next
        }
        return expected <= meta.chosenThrough ? holeFailure(at: expected) : nil
    }

    private func holeFailure(at slot: Slot) -> InspectionFailure {
        let applied = slot <= meta.appliedThrough
            ? ", and slots up to \(meta.appliedThrough) were applied: a slot was applied across a hole" : ""
        return InspectionFailure(path: path, slot: slot, check: .frontier,
                                 reason: "no log row, but the chosen frontier is \(meta.chosenThrough)\(applied)")
    }

    /// The partial replay after compaction: each kv row and session written above the snapshot
    /// slot must come from a request in its slot's command (`commands`: the applied rows above
    /// the snapshot slot, which `frontier` found all present).
    /// - Returns: the first failure, and how many rows were checked.
    func explainRowsAboveSnapshot(keys: [InspectedKey], sessions: [InspectedSession],
                                  commands: [Slot: Command]) -> (InspectionFailure?, Int) {
        let snapshot = meta.snapshotSlot
        func failure(_ slot: Slot, _ reason: String) -> InspectionFailure {
            InspectionFailure(path: path, slot: slot, check: .replay, reason: reason)
        }
        var explained = 0
        for row in keys where row.slot > snapshot {
            explained += 1
            let wrote = commands[row.slot]?.requests.contains { $0.operation == .put(key: row.key, value: row.value) } ?? false
            guard wrote else {
                return (failure(row.slot, "key \(BytesDisplay.quoted(row.key, limit: 64)) holds a value that slot \(row.slot)'s "
                    + "command does not put"), explained)
            }
        }
        for row in sessions where row.slot > snapshot {
            explained += 1
            let sent = commands[row.slot]?.requests.contains { $0.client == row.client && $0.sequence == row.lastSequence } ?? false
            guard sent else {
                return (failure(row.slot, "client \(row.client.rawValue)'s session names sequence \(row.lastSequence), "
                    + "which slot \(row.slot)'s command does not hold"), explained)
            }
        }
        return (nil, explained)
    }

    func checkTables(keys: [InspectedKey], sessions: [InspectedSession]) -> InspectionFailure? {
        let applied = meta.appliedThrough
        // A row that fails its checksum is reported as such before anything is read from it.
        if let row = keys.first(where: { $0.problem != nil }), let problem = row.problem {
            return InspectionFailure(path: path, slot: row.slot, check: .checksum, reason: problem)
        }
        if let row = sessions.first(where: { $0.problem != nil }), let problem = row.problem {
            return InspectionFailure(path: path, slot: row.slot, check: .checksum, reason: problem)
        }
        for row in keys where row.slot == .zero || row.slot > applied {
            return InspectionFailure(path: path, slot: row.slot, check: .table,
                                     reason: "key \(BytesDisplay.quoted(row.key, limit: 64)) was written at slot \(row.slot), "
                                        + "outside the applied slots 1…\(applied)")
        }
        for row in sessions {
            guard row.result != nil else {
                return InspectionFailure(path: path, slot: row.slot, check: .table,
                                         reason: "client \(row.client.rawValue)'s session has unknown result code \(row.resultCode)")
            }
            guard row.slot > .zero, row.slot <= applied else {
                return InspectionFailure(path: path, slot: row.slot, check: .table,
                                         reason: "client \(row.client.rawValue)'s session was written at slot \(row.slot), "
                                            + "outside the applied slots 1…\(applied)")
            }
        }
        return nil
    }

    /// The `membership` check (see the type's list).
    func checkMemberships(checked: inout Int) throws(InspectionError) -> InspectionFailure? {
        let rows = try membershipRows()
        func failure(_ slot: Slot?, _ reason: String) -> InspectionFailure {
            InspectionFailure(path: path, slot: slot, check: .membership, reason: reason)
        }
        var previous: InspectedMembership?
        for row in rows {
            checked += 1
            let slot = row.isGenesis ? nil : row.chosenInSlot
            if let problem = row.problem { return failure(slot, problem) }
            guard row.chosenInSlot <= meta.appliedThrough else {
                return failure(slot, "membership from slot \(row.fromSlot) was chosen in slot \(row.chosenInSlot), above the applied "
                    + "slot \(meta.appliedThrough): the row is written in the transaction that applies its slot")
            }
            if let previous, previous.epoch >= row.epoch {
                return failure(slot, "membership from slot \(row.fromSlot) has epoch \(row.epoch), not above the epoch \(previous.epoch) "
                    + "of the one from slot \(previous.fromSlot)")
            }
            previous = row
            guard !row.isGenesis else { continue }
            let logged = try logRows(from: row.chosenInSlot, through: row.chosenInSlot).next()
            guard let logged, logged.problem == nil else { continue }
            guard logged.chosen, logged.commandBytes == row.membershipBytes else {
                let command = logged.command.map(CommandDisplay.describe) ?? "?"
                return failure(slot, "membership from slot \(row.fromSlot) is not the chosen configure command of slot "
                    + "\(row.chosenInSlot), which the log holds as \(logged.chosen ? "chosen" : "not chosen"): \(command)")
            }
        }
        let recorded = Set(rows.map(\.fromSlot))
        for (configure, epoch) in try appliedConfigureSlots() {
            let from = Slot(configure.rawValue &+ Membership.activationDistance)
            guard !recorded.contains(from) else { continue }
            // A stale configure (computed from an older membership than the newest chosen before
            // it) changes nothing and has no row; any other must have one.
            let newestBefore = rows.last { $0.chosenInSlot < configure }?.epoch ?? 1
            if epoch != newestBefore + 1 { continue }
            return failure(configure, "slot \(configure) applied a configure command, but no membership from slot \(from) is recorded")
        }
        return nil
    }
}
