public import PaxosCore
public import PaxosWire

/// One connection's MULTI/EXEC/WATCH state, as a value: the handler hands it every parsed
/// command and carries out the `Step` it answers (docs/design/coordination-api.md §4).
///
/// Redis's semantics, on one group's log:
/// - MULTI starts queueing; each command is compiled at once (`ClientCommand.queued`) and
///   answered `+QUEUED`. A command refused while queueing (unknown, wrong arity, not allowed in a
///   transaction, NOPERM, keys of another group, over the bounds) fails the transaction: EXEC
///   then answers `-EXECABORT` and applies nothing. (Before this, redis-py's
///   `pipeline(transaction=True)` saw its queued SETs applied although one command failed.)
/// - EXEC sends ONE request, `txn(compares: the watched revisions, success: the queued
///   operations)`, so the queue applies in one slot or not at all; a watched key whose revision
///   changed since its WATCH makes EXEC answer the nil array.
/// - WATCH reads the keys' revisions in one linearizable read round (the handler does it and
///   calls `watched`). A key watched twice keeps its first revision, as Redis keeps the first
///   watch. Watches end at EXEC, DISCARD and UNWATCH.
/// - With several groups, every watched and queued key must be in one group (`-CROSSSLOT`).
///
/// - Invariant: `queued` is empty and `failed` false unless `inMulti`.
public struct TransactionState: Sendable {
    /// Most commands one MULTI may queue.
    public static let maxQueuedCommands = 10_000
    /// Most argument bytes one MULTI may queue: the EXEC request must stay decodable
    /// (`Command.maxValueBytes` of payload).
    public static let maxQueuedBytes = Command.maxValueBytes / 2

    public private(set) var inMulti = false
    public private(set) var failed = false
    public private(set) var queued: [QueuedCommand] = []
    private var queuedBytes = 0
    /// Watched keys in the order first watched, with the revision each had.
    public private(set) var watched: [(key: Bytes, revision: Revision)] = []
    /// The group of every watched and queued key, once there is one.
    private var group: GroupID?

    public init() {}

    /// What the handler does with a command.
    public enum Step: Sendable {
        /// Not a transaction matter: run the command as usual.
        case run
        /// Answer this now.
        case reply(RESPValue)
        /// Read these keys' revisions (one linearizable round), call `watched`, answer `+OK`.
        case watch([Bytes])
        /// Send `operation` as one write and answer `renderExec` of its reply.
        case exec(Operation, [QueuedCommand])
    }

    public static let crossSlot = RESPValue.error("CROSSSLOT Keys in request don't hash to the same group")
    public static let execAbort = RESPValue.error("EXECABORT Transaction discarded because of previous errors.")

    /// - Parameters:
    ///   - size: the command's argument bytes.
    ///   - groupOf: the group of a key (`GroupMap.group(of:)`).
    public mutating func step(_ command: ClientCommand, size: Int, groupOf: (Bytes) -> GroupID) -> Step {
        switch command {
        case .transaction(.multi):
            guard !inMulti else { return .reply(.error("ERR MULTI calls can not be nested")) }
            inMulti = true
            return .reply(.simpleString("OK"))
        case .transaction(.exec):
            guard inMulti else { return .reply(.error("ERR EXEC without MULTI")) }
            return exec()
        case .transaction(.discard):
            guard inMulti else { return .reply(.error("ERR DISCARD without MULTI")) }
            reset()
            return .reply(.simpleString("OK"))
        case .transaction(.watch(let keys)):
            guard !inMulti else { return .reply(.error("ERR WATCH inside MULTI is not allowed")) }
            guard sameGroup(keys, groupOf: groupOf) else { return .reply(Self.crossSlot) }
            let fresh = keys.filter { key in !watched.contains { $0.key == key } }
            return fresh.isEmpty ? .reply(.simpleString("OK")) : .watch(fresh)
        case .transaction(.unwatch) where !inMulti:
            watched = []
            if queued.isEmpty { group = nil }
            return .reply(.simpleString("OK"))
        case .quit:
            return .run
        default:
            guard inMulti else { return .run }
            return queue(command, size: size, groupOf: groupOf)
        }
    }

    /// A command refused before it reached `step` (parse error, NOPERM, too large): inside
    /// MULTI it fails the transaction, as in Redis.
    public mutating func refused() {
        if inMulti { failed = true }
    }

    /// Records the revisions a WATCH read. - Precondition: one entry per key.
    public mutating func watched(_ keys: [Bytes], _ answer: ReadAnswer) {
        precondition(keys.count == answer.entries.count, "a WATCH answer of \(answer.entries.count) entries for \(keys.count) keys")
        for (key, entry) in zip(keys, answer.entries) where !watched.contains(where: { $0.key == key }) {
            watched.append((key, entry?.revision ?? .none))
        }
    }

    /// EXEC's reply for the transaction's reply: each queued command's own rendering, in order,
    /// or the nil array when a watched key changed.
    public static func renderExec(_ reply: OpReply, queued: [QueuedCommand]) -> RESPValue {
        guard case .transaction(let succeeded, let replies) = reply else {
            return DataCommand.Rendering.reply.render(reply)
        }
        guard succeeded else { return .array(nil) }
        var results = replies.makeIterator()
        return .array(queued.map { command in
            if let constant = command.constant { return constant }
            guard let result = results.next() else { return .error("ERR missing reply from the cluster") }
            return command.render(result)
        })
    }

    private mutating func queue(_ command: ClientCommand, size: Int, groupOf: (Bytes) -> GroupID) -> Step {
        let compiled: QueuedCommand
        do { compiled = try command.queued() } catch {
            failed = true
            return .reply(.error(error.description))
        }
        guard sameGroup(compiled.operation?.keys ?? [], groupOf: groupOf) else {
            failed = true
            return .reply(Self.crossSlot)
        }
        guard queued.count < Self.maxQueuedCommands, queuedBytes + size <= Self.maxQueuedBytes else {
            failed = true
            return .reply(.error("ERR transaction too large: at most \(Self.maxQueuedCommands) commands and \(Self.maxQueuedBytes) bytes may be queued"))
        }
        queued.append(compiled)
        queuedBytes += size
        return .reply(.simpleString("QUEUED"))
    }

    private mutating func exec() -> Step {
        defer { reset() }
        guard !failed else { return .reply(Self.execAbort) }
        let operations = queued.compactMap(\.operation)
        guard !operations.isEmpty || !watched.isEmpty else {
            return .reply(Self.renderExec(.transaction(succeeded: true, []), queued: queued))
        }
        let operation = Operation.txn(Transaction(compares: watched.map { Compare(key: $0.key, .revision($0.revision)) },
                                                  success: operations))
        if let problem = operation.encodingProblem {
            return .reply(.error("EXECABORT Transaction discarded: \(problem)"))
        }
        return .exec(operation, queued)
    }

    /// Whether `keys` are in the transaction's group, which they fix if it has none yet.
    private mutating func sameGroup(_ keys: [Bytes], groupOf: (Bytes) -> GroupID) -> Bool {
        let groups = Set(keys.map(groupOf))
        guard groups.count <= 1 else { return false }
        if let group, groups.contains(where: { $0 != group }) { return false }
        if group == nil { group = groups.first }
        return true
    }

    /// Ends the transaction and its watches.
    private mutating func reset() {
        inMulti = false
        failed = false
        queued = []
        queuedBytes = 0
        watched = []
        group = nil
    }
}
