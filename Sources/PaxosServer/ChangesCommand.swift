public import PaxosCore
import PaxosWire

/// `CHANGES <from-revision | $> [PREFIX p] [COUNT n] [BLOCK ms] [GROUP g]`: the resumable watch
/// (docs/design/watch-resp3-introspection.md §2, `ClientHandler+Changes.swift`).
///
/// The answer is `[next-revision, [[revision, event, key], …]]`: every change with revision
/// ≥ from that this node has applied (a slot is never split), in revision order; the watcher
/// asks again from `next-revision`, on this node or any other, and so never misses or repeats
/// one. `$` answers no change and the revision after this node's applied slot. With BLOCK, an
/// answer that would be empty waits for the next applied slot, up to `ms` (0: no wait).
/// A revision this node has compacted is refused with `-COMPACTED … resume from revision R`.
public struct ChangesCommand: Hashable, Sendable {
    public var query: ChangesQuery
    public var blockMilliseconds: Int
    /// Needed when the node runs several groups: revisions are per group.
    public var group: GroupID?

    /// The longest BLOCK: long enough for a long poll, short enough that a client's own
    /// timeout (redis-py's default socket timeout is none; most others' are ≥ 10 s) is not hit
    /// first by design.
    public static let maxBlockMilliseconds = 60_000
    /// The longest PREFIX, as a key.
    public static let maxPrefixBytes = Command.maxKeyBytes

    static let usage = "ERR usage: CHANGES <from-revision | $> [PREFIX <prefix>] [COUNT <n>] [BLOCK <milliseconds>] [GROUP <g>]"

    static func parse(_ arguments: [Bytes]) throws(ClientCommandError) -> ChangesCommand {
        guard let first = arguments.first else { throw ClientCommandError("ERR wrong number of arguments for 'changes' command") }
        let fromText = String(decoding: first, as: UTF8.self)
        var from: UInt64?
        if fromText != "$" {
            guard let revision = UInt64(fromText) else {
                throw ClientCommandError("ERR the revision must be a non-negative integer or $, not '\(fromText.prefix(64))'")
            }
            from = revision
        }
        var command = ChangesCommand(query: ChangesQuery(from: from), blockMilliseconds: 0, group: nil)
        var seen: Set<String> = []
        var index = 1
        while index < arguments.count {
            let option = String(decoding: arguments[index], as: UTF8.self).uppercased()
            guard index + 1 < arguments.count, seen.insert(option).inserted else { throw ClientCommandError(usage) }
            let value = arguments[index + 1]
            let text = String(decoding: value, as: UTF8.self)
            switch option {
            case "PREFIX":
                guard value.count <= maxPrefixBytes else {
                    throw ClientCommandError("ERR PREFIX of \(value.count) bytes is over the key limit of \(maxPrefixBytes)")
                }
                command.query.prefix = value
            case "COUNT":
                guard let count = Int(text), (1...ChangesQuery.maxMaxChanges).contains(count) else {
                    throw ClientCommandError("ERR COUNT must be 1 to \(ChangesQuery.maxMaxChanges), not '\(text.prefix(64))'")
                }
                command.query.maxChanges = count
            case "BLOCK":
                guard let block = Int(text), (0...maxBlockMilliseconds).contains(block) else {
                    throw ClientCommandError("ERR BLOCK must be 0 to \(maxBlockMilliseconds) milliseconds, not '\(text.prefix(64))'")
                }
                command.blockMilliseconds = block
            case "GROUP":
                guard let group = UInt32(text) else { throw ClientCommandError("ERR GROUP needs a group number, not '\(text.prefix(64))'") }
                command.group = GroupID(rawValue: group)
            default:
                throw ClientCommandError(usage)
            }
            index += 2
        }
        return command
    }

    /// The RESP answer to `answer`.
    static func render(_ answer: ChangesAnswer) -> RESPValue {
        switch answer {
        case .page(let changes, let next):
            return .array([
                .integer(Int64(clamping: next)),
                .array(changes.map { change in
                    .array([.integer(Int64(clamping: change.revision.rawValue)),
                            .bulkString(Array(change.event.name.rawValue.utf8)), .bulkString(change.event.key)])
                }),
            ])
        case .compacted(let resumeFrom):
            return .error(.compacted, "this node no longer holds the changes below revision \(resumeFrom) (compacted); "
                + "re-read the keys you follow and resume from revision \(resumeFrom)")
        }
    }
}
