import PaxosCore
import PaxosShell
import PaxosWire

/// SCAN, KEYS, DBSIZE, RANDOMKEY and TYPE: reads of whole keyspaces, group by group.
///
/// Each step is one read round of one group (`ReadQuery.scan` or `.keyCount`), linearizable
/// through that group's leader, or served from this node's applied state on a READONLY
/// connection; so each page is one instant of its group, and a whole KEYS or DBSIZE over
/// several groups is not one instant of the database (as in Redis Cluster, where each node
/// answers for its slots). SCAN's cursor names the group and the position in its scan order
/// (`ScanCursor`), so any node can continue a scan another node began.
extension ClientHandler {
    /// Most keys KEYS returns before it refuses, so one command cannot make the node build an
    /// unbounded reply; SCAN has no such limit.
    static let keysMaxResults = 1_000_000
    /// Rows one KEYS page visits.
    static let keysPageRows = 1_000

    func runKeyspace(_ command: KeyspaceCommand, done: @escaping (RESPValue) -> Void) {
        let groups = node.groupMap.count
        switch command {
        case .scan(let arguments):
            guard let cursor = ScanCursor(rawValue: arguments.cursor, groups: groups) else {
                return done(.error(.err, "invalid cursor"))
            }
            scan(from: cursor, arguments: arguments, done: done)
        case .keys(let pattern):
            var keys: [RESPValue] = []
            walkPages(matching: pattern, each: { page in
                keys += page.map { .bulkString($0) }
                return keys.count <= Self.keysMaxResults
            }, done: { failure in
                if let failure { return done(failure) }
                guard keys.count <= Self.keysMaxResults else {
                    return done(.error(.err, "KEYS would return more than \(Self.keysMaxResults) keys; use SCAN"))
                }
                done(.array(keys))
            })
        case .dbsize:
            var total: UInt64 = 0
            var group: UInt32 = 0
            func next() {
                guard group < groups else { return done(.integer(Int64(clamping: total))) }
                keyspaceRead(.keyCount, group: GroupID(group)) { answer in
                    guard case .count(let count)? = answer.keyspace else { return done(.error(.err, "unexpected answer from the cluster")) }
                    total += count
                    group += 1
                    next()
                } failed: { done($0) }
            }
            next()
        case .randomKey:
            randomKey(done: done)
        case .type(let key):
            read(.keys([key], fields: .revision)) { outcome in
                done(Self.render(outcome) { outcome in
                    guard case .answer(let answer) = outcome, answer.entries.count == 1 else { return nil }
                    return .simpleString(answer.entries[0] == nil ? "none" : "string")
                })
            }
        }
    }

    /// One SCAN call: a page from the cursor's group, moving on to the next group while pages
    /// come back empty and their groups are done, so an empty group costs no round trip of the
    /// client's. Redis's reply: `[next cursor as text, [keys…]]`, cursor 0 at the end.
    private func scan(from start: ScanCursor, arguments: ScanArguments, done: @escaping (RESPValue) -> Void) {
        let groups = node.groupMap.count
        var cursor = start
        func next() {
            keyspaceRead(.scan(position: cursor.position, count: arguments.count), group: cursor.group) { answer in
                guard case .page(let page)? = answer.keyspace else { return done(.error(.err, "unexpected answer from the cluster")) }
                let keys = arguments.typeMatchesStrings ? page.keys.filter { arguments.match?.matches($0) ?? true } : []
                let following = page.next(after: cursor, groups: groups)
                if keys.isEmpty, page.isGroupDone, let following {
                    cursor = following
                    return next()
                }
                done(.array([.bulkString(Array(String(following?.rawValue ?? 0).utf8)), .array(keys.map { .bulkString($0) })]))
            } failed: { done($0) }
        }
        next()
    }

    /// Walks every page of every group, handing `each` the matching keys of each page until it
    /// answers false; `done` gets nil at the end or the failure to answer.
    private func walkPages(matching pattern: GlobPattern?, each: @escaping ([Bytes]) -> Bool, done: @escaping (RESPValue?) -> Void) {
        let groups = node.groupMap.count
        var cursor: ScanCursor? = .start
        func next() {
            guard let current = cursor else { return done(nil) }
            keyspaceRead(.scan(position: current.position, count: Self.keysPageRows), group: current.group) { answer in
                guard case .page(let page)? = answer.keyspace else { return done(.error(.err, "unexpected answer from the cluster")) }
                guard each(page.keys.filter { pattern?.matches($0) ?? true }) else { return done(nil) }
                cursor = page.next(after: current, groups: groups)
                next()
            } failed: { done($0) }
        }
        next()
    }

    /// RANDOMKEY: the first live key at or after a random place (a random group and position),
    /// wrapping around the groups once; nil when there is none. Reads need no determinism, so
    /// the node's own generator picks the place.
    private func randomKey(done: @escaping (RESPValue) -> Void) {
        let groups = node.groupMap.count
        var cursor = ScanCursor(group: GroupID(UInt32.random(in: 0..<groups)), position: UInt64.random(in: 0..<ScanCursor.positionLimit))
        var steps = 0
        func next() {
            keyspaceRead(.scan(position: cursor.position, count: 16), group: cursor.group) { answer in
                guard case .page(let page)? = answer.keyspace else { return done(.error(.err, "unexpected answer from the cluster")) }
                if let key = page.keys.first { return done(.bulkString(key)) }
                steps += 1
                // Past the end of this group (or an expired row): on to the next group's start,
                // around once, plus the start of the group we began in.
                guard steps <= 2 * Int(groups) + 2 else { return done(.bulkString(nil)) }
                cursor = page.isGroupDone
                    ? ScanCursor(group: GroupID((cursor.group.rawValue + 1) % groups), position: 0)
                    : page.next(after: cursor, groups: groups) ?? ScanCursor(group: 0, position: 0)
                next()
            } failed: { done($0) }
        }
        next()
    }

    /// One keyspace read of one group: linearizable, or local on READONLY connections.
    private func keyspaceRead(_ query: ReadQuery, group: GroupID, answered: @escaping (ReadAnswer) -> Void,
                              failed: @escaping (RESPValue) -> Void) {
        node.readKeyspace(query, group: group, stale: staleReads) { outcome in
            guard case .answer(let answer) = outcome else { return failed(Self.render(outcome) { _ in nil }) }
            answered(answer)
        }
    }
}
