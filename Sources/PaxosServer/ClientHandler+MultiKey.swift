import PaxosCore
import PaxosShell
import PaxosWire

/// Commands of several keys: one request (or one read round) per group, never one per key.
///
/// DEL, EXISTS, TOUCH and MGET split their keys by group (`GroupMap`), send one request per
/// group, one group after another (a connection has one write in flight), and combine the
/// answers in the command's key order. Only within a group are they atomic: a DEL across two
/// groups that fails after the first reports how much was applied
/// (`ServerErrorCode.multiKeyFailure`). MSET, MSETNX, SETIFREV and DELIFREV are one log entry,
/// so they are refused with `-CROSSSLOT` when their keys span groups.
extension ClientHandler {
    /// Keys by group, in order of each group's first key, with each key's index in `keys`.
    func splitByGroup(_ keys: [Bytes]) -> [(keys: [Bytes], positions: [Int])] {
        var order: [GroupID] = []
        var parts: [GroupID: (keys: [Bytes], positions: [Int])] = [:]
        for (position, key) in keys.enumerated() {
            let group = node.groupMap.group(of: key)
            if parts[group] == nil { order.append(group) }
            parts[group, default: ([], [])].keys.append(key)
            parts[group, default: ([], [])].positions.append(position)
        }
        return order.compactMap { parts[$0] }
    }

    /// DEL/UNLINK: one request per group. A single key stays the original `delete` operation,
    /// so plain `DEL k` is logged as it always was.
    func deleteKeys(_ keys: [Bytes], done: @escaping (RESPValue) -> Void) {
        var parts = splitByGroup(keys)[...]
        var count: Int64 = 0
        var applied = 0
        func next() {
            guard let part = parts.popFirst() else { return done(.integer(count)) }
            let operation: Operation = part.keys.count == 1 ? .delete(key: part.keys[0]) : .key(.delete(keys: part.keys, ifEquals: nil))
            write(operation) { outcome in
                switch outcome {
                case .applied(.deleted(let existed)): count += existed ? 1 : 0
                case .applied(.reply(.integer(let removed))): count += removed
                case .failed(let code, let message):
                    return done(.error(ServerErrorCode.multiKeyFailure(code: code, message: message, applied: applied, of: keys.count)))
                default:
                    return done(.error(.err, "unexpected answer from the cluster"))
                }
                applied += part.keys.count
                next()
            }
        }
        next()
    }

    /// EXISTS/TOUCH: how many keys exist, a repeated key counted each time; revisions only, so
    /// no value crosses the network.
    func countExisting(_ keys: [Bytes], done: @escaping (RESPValue) -> Void) {
        readByGroup(keys, fields: .revision) { entries in
            done(.integer(Int64(entries.count { $0 != nil })))
        } failed: { done($0) }
    }

    func runMultiKey(_ command: MultiKeyCommand, done: @escaping (RESPValue) -> Void) {
        switch command {
        case .mget(let keys):
            readByGroup(keys, fields: .value) { entries in
                done(.array(entries.map { .bulkString($0?.value) }))
            } failed: { done($0) }
        case .getRevision(let key):
            read(.keys([key], fields: .both)) { outcome in
                done(Self.render(outcome) { outcome in
                    guard case .answer(let answer) = outcome, answer.entries.count == 1 else { return nil }
                    guard let entry = answer.entries[0] else { return .bulkString(nil) }
                    return .array([.bulkString(entry.value), .integer(Int64(entry.revision.rawValue))])
                })
            }
        case .touch(let keys):
            countExisting(keys, done: done)
        case .mset, .msetnx, .setIfRevision, .deleteIfRevision:
            writeOneRequest(.multiKey(command), done: done)
        }
    }

    /// A command that compiles to one request of one group (MSET, MSETNX, SETIFREV, DELIFREV).
    func writeOneRequest(_ command: ClientCommand, done: @escaping (RESPValue) -> Void) {
        let compiled: QueuedCommand
        do { compiled = try command.queued() } catch { return done(.error(error.description)) }
        guard let operation = compiled.operation else { return done(compiled.constant ?? .error(.err, "nothing to do")) }
        guard splitByGroup(operation.keys).count == 1 else { return done(TransactionState.crossSlot) }
        if let problem = operation.encodingProblem { return done(.error(.err, "request too large: \(problem)")) }
        write(operation) { outcome in
            done(Self.render(outcome) { if case .applied(.reply(let reply)) = $0 { compiled.render(reply) } else { nil } })
        }
    }

    /// One read round per group, in order of the groups' first keys; the entries come back in
    /// the order of `keys`. The first failure is the answer.
    func readByGroup(_ keys: [Bytes], fields: ReadFields, done: @escaping ([ReadAnswer.Entry?]) -> Void,
                     failed: @escaping (RESPValue) -> Void) {
        var parts = splitByGroup(keys)[...]
        var entries = [ReadAnswer.Entry?](repeating: nil, count: keys.count)
        func next() {
            guard let part = parts.popFirst() else { return done(entries) }
            read(.keys(part.keys, fields: fields)) { outcome in
                guard case .answer(let answer) = outcome, answer.entries.count == part.keys.count else {
                    return failed(Self.render(outcome) { _ in nil })
                }
                for (position, entry) in zip(part.positions, answer.entries) { entries[position] = entry }
                next()
            }
        }
        next()
    }
}
