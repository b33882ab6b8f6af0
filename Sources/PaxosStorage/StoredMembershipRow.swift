import PaxosCore

/// One `memberships` row's columns exactly as stored, before any check (see `Schema`).
///
/// Like `StoredLogRow`, the node (which refuses to start on a bad row) and `paxos-inspect`
/// (which shows the bad row and names it) both judge a row through `verified()`.
struct StoredMembershipRow: Hashable {
    /// The columns `init(_:)` expects, in order, for a `SELECT … FROM memberships`.
    static let columns = "from_slot, epoch, chosen_in_slot, membership, checksum"

    var fromSlot: Slot
    var epoch: UInt64
    /// 0 for a first (genesis) membership.
    var chosenInSlot: Slot
    /// `Command.configure(m)` in its binary form.
    var membership: Bytes
    var checksum: Int64

    /// Reads the current row of a statement that selects `columns`.
    init(_ statement: SQLiteStatement) {
        fromSlot = Slot(statement.uint64(0))
        epoch = statement.uint64(1)
        chosenInSlot = Slot(statement.uint64(2))
        membership = statement.blob(3)
        checksum = statement.int64(4)
    }

    /// A row received in a snapshot stream, with its epoch read from the blob (0 when the blob
    /// does not decode, which `verified()` then reports) and the checksum computed here.
    init(fromSlot: Slot, chosenInSlot: Slot, membership: Bytes) {
        self.fromSlot = fromSlot
        self.chosenInSlot = chosenInSlot
        self.membership = membership
        let epoch: UInt64
        // A blob that does not decode gets epoch 0 here; `verified()` decodes it again and says why.
        do { epoch = try Command.decode(membership).membership?.epoch ?? 0 } catch { epoch = 0 }
        self.epoch = epoch
        checksum = Int64(Self.checksum(fromSlot: fromSlot, epoch: epoch, chosenInSlot: chosenInSlot, membership: membership))
    }

    /// The row that records `scheduled`, chosen in `chosenInSlot` (0 for genesis), checksummed.
    init(_ scheduled: ScheduledMembership, chosenInSlot: Slot) {
        fromSlot = scheduled.fromSlot
        epoch = scheduled.membership.epoch
        self.chosenInSlot = chosenInSlot
        membership = Command.configure(scheduled.membership).encoded()
        checksum = Int64(Self.checksum(fromSlot: fromSlot, epoch: epoch, chosenInSlot: chosenInSlot, membership: membership))
    }

    /// CRC-32C of (from_slot u64 BE, epoch u64 BE, chosen_in_slot u64 BE, membership).
    static func checksum(fromSlot: Slot, epoch: UInt64, chosenInSlot: Slot, membership: Bytes) -> UInt32 {
        var header = ByteWriter(capacity: 24)
        header.write(fromSlot.rawValue)
        header.write(epoch)
        header.write(chosenInSlot.rawValue)
        return CRC32C.finish(CRC32C.update(CRC32C.update(CRC32C.start, with: header.bytes), with: membership))
    }

    /// Why a row cannot be trusted, as one sentence without the file (the caller adds it).
    struct Damage: Error, Hashable {
        var reason: String
    }

    /// The membership the row holds, once its checksum, encoding, epoch and slots check out:
    /// a chosen membership governs from exactly α slots after the slot that chose it.
    func verified() throws(Damage) -> ScheduledMembership {
        let computed = Int64(Self.checksum(fromSlot: fromSlot, epoch: epoch, chosenInSlot: chosenInSlot, membership: membership))
        guard checksum == computed else {
            throw Damage(reason: "membership from slot \(fromSlot): checksum mismatch (stored \(checksum), computed \(computed))")
        }
        let command: Command
        do { command = try Command.decode(membership) } catch {
            throw Damage(reason: "membership from slot \(fromSlot): it does not decode: \(error)")
        }
        guard case .configure(let decoded) = command else {
            throw Damage(reason: "membership from slot \(fromSlot): the blob is a command, not a membership")
        }
        guard decoded.epoch == epoch else {
            throw Damage(reason: "membership from slot \(fromSlot): the epoch column says \(epoch), the membership \(decoded.epoch)")
        }
        guard fromSlot > .zero, fromSlot.rawValue <= UInt64(Int64.max) else {
            throw Damage(reason: "membership from slot \(fromSlot): no slot of the log is numbered so")
        }
        if chosenInSlot != .zero, fromSlot.rawValue != chosenInSlot.rawValue &+ Membership.activationDistance {
            throw Damage(reason: "membership from slot \(fromSlot) was chosen in slot \(chosenInSlot), "
                + "so it governs from slot \(chosenInSlot.rawValue &+ Membership.activationDistance)")
        }
        return ScheduledMembership(fromSlot: fromSlot, membership: decoded)
    }
}
