/// One entry of the resumable watch (`CHANGES`, docs/design/watch-resp3-introspection.md §2):
/// an event an applied slot made, at the revision of the request that made it.
///
/// Unlike a keyspace notification, a change is recorded by the apply rule itself
/// (`OperationExecutor.apply(_:slot:store:rules:recording:)`): only requests that executed
/// (not a retry answered from its session), judged against the slot's own clock, plus the
/// keys the slot's background sweep removed (`expired`, at the slot's first revision). So
/// every replica records the same changes for the same slot, and a watcher may resume on any
/// node from the revision it last saw without a gap or a repeat.
///
/// Several changes may share a revision (an MSET's keys, a SET EX's `set` and `expire`, and
/// every request of a legacy batch, whose positions are all 0): a reader never splits a slot,
/// so "resume from the last revision + 1" is exact.
public struct KVChange: Hashable, Sendable, CustomStringConvertible {
    public var revision: Revision
    public var event: KVEvent

    public init(_ revision: Revision, _ event: KVEvent) {
        self.revision = revision
        self.event = event
    }

    public var description: String { "\(revision) \(event.name.rawValue) \(String(decoding: event.key, as: UTF8.self))" }
}

/// The stored form of one slot's changes (`kv_changes.changes`): a version byte (1), a UInt32
/// count, then per change the revision's position (UInt16), the event's code (UInt8, the table
/// in `code(of:)`, fixed forever: stored bytes outlive this enum's order) and the key
/// (length-prefixed). The slot is the row's key, so it is not repeated.
public enum KVChangeEncoding {
    static let version: UInt8 = 1

    public static func encode(_ changes: [KVChange]) -> Bytes {
        var writer = ByteWriter(capacity: 5 + changes.reduce(0) { $0 + 7 + $1.event.key.count })
        writer.write(version)
        writer.write(UInt32(changes.count))
        for change in changes {
            writer.write(change.revision.position)
            writer.write(code(of: change.event.name))
            writer.writeLengthPrefixed(change.event.key)
        }
        return writer.bytes
    }

    /// The changes of `slot` from their stored bytes.
    /// - Throws: on anything `encode` does not write (a damaged row or another version): the
    ///   reader reports it rather than answering a watcher wrongly.
    public static func decode(_ bytes: Bytes, slot: Slot) throws(DecodingError) -> [KVChange] {
        var reader = ByteReader(bytes)
        let stored = try reader.readUInt8()
        guard stored == version else { throw .unknownTag(what: "change list version", tag: stored) }
        let count = Int(try reader.readUInt32())
        // Each change takes at least 7 bytes: a corrupt count cannot make us reserve gigabytes.
        guard count <= reader.remaining / 7 else { throw .invalid("change count \(count) does not fit in \(reader.remaining) bytes") }
        guard slot > .zero, slot < Revision.slotLimit else { throw .invalid("slot \(slot) has no revisions") }
        var changes: [KVChange] = []
        changes.reserveCapacity(count)
        for _ in 0..<count {
            let position = try reader.readUInt16()
            let tag = try reader.readUInt8()
            guard let name = name(of: tag) else { throw .unknownTag(what: "change event", tag: tag) }
            let key = try reader.readLengthPrefixed(limit: Command.maxKeyBytes)
            changes.append(KVChange(Revision(slot: slot, position: position), KVEvent(name, key)))
        }
        try reader.expectEnd()
        return changes
    }

    static func code(of name: KVEvent.Name) -> UInt8 {
        switch name {
        case .set: 1
        case .del: 2
        case .expire: 3
        case .expired: 4
        case .persist: 5
        case .incrby: 6
        case .incrbyfloat: 7
        case .append: 8
        }
    }

    static func name(of code: UInt8) -> KVEvent.Name? {
        KVEvent.Name.allCases.first { self.code(of: $0) == code }
    }
}

/// One `CHANGES` read of one group: the changes at or after a revision, as one node has
/// applied them.
public struct ChangesQuery: Hashable, Sendable {
    /// The first revision wanted; nil: none of the past, only the next revision to ask for
    /// (`CHANGES $`, like XREAD's `$`).
    public var from: UInt64?
    /// Only changes to keys that start with these bytes; nil: all.
    public var prefix: Bytes?
    /// Stop after the slot that reaches this many changes (a slot is never split, so an
    /// answer may hold more).
    public var maxChanges: Int

    public static let defaultMaxChanges = 1_000
    public static let maxMaxChanges = 100_000

    public init(from: UInt64?, prefix: Bytes? = nil, maxChanges: Int = defaultMaxChanges) {
        self.from = from
        self.prefix = prefix
        self.maxChanges = maxChanges
    }

    /// The slot of revision `from` (the slot part of slot·2¹⁶ + position).
    public var fromSlot: Slot? { from.map { Slot($0 >> 16) } }

    /// Whether `key` is one the query asks about.
    public func matches(_ key: Bytes) -> Bool {
        guard let prefix else { return true }
        return key.count >= prefix.count && key.starts(with: prefix)
    }
}

/// What a node answers a `ChangesQuery`.
public enum ChangesAnswer: Hashable, Sendable {
    /// The changes with revision ≥ the query's `from` in the slots read, in revision order, and
    /// the revision to ask from next: every change below `next` was either answered or is not
    /// asked for. When the node has applied nothing new, `changes` is empty and `next` is the
    /// query's `from` (or, for `$`, the revision after the node's applied slot).
    case page(changes: [KVChange], next: UInt64)
    /// The revisions from `from` on are no longer all on this node (compacted into a snapshot,
    /// or applied before the node recorded changes): the watcher re-reads the keys it follows
    /// and resumes from `resumeFrom`, the first revision this node still answers.
    case compacted(resumeFrom: UInt64)

    /// The first revision of `slot`.
    public static func firstRevision(of slot: Slot) -> UInt64 { slot.rawValue << 16 }
}
