/// The replicated state: a key-value table of rows (value and revision) plus the exactly-once
/// session table.
///
/// This in-memory version is what the simulator applies to; PaxosStorage keeps the same
/// state in SQLite. Both apply through `OperationExecutor`, the one place that decides what a
/// command does, so they make the same decisions by construction.
public struct KVStateMachine: Hashable, Sendable {
    /// The rows as `OperationExecutor` reads and writes them.
    private(set) var store: MemoryKVRows
    /// - Invariant: every chosen slot ≤ `appliedThrough` has been applied exactly once, in order.
    public private(set) var appliedThrough: Slot = .zero
    /// The apply rule's parameters; equal on every replica.
    public let rules: KVRules

    public var rows: [Bytes: KVRow] { store.rows }
    public var sessions: [ClientID: ClientSession] { store.sessions }
    /// The values alone, for tests and checks that compare what clients can read.
    public var table: [Bytes: Bytes] { store.rows.mapValues(\.value) }
    /// `ClientSession.expirySlots` outside tests, which shorten it to exercise expiry.
    public var sessionExpirySlots: UInt64 { rules.sessionExpirySlots }

    public init(sessionExpirySlots: UInt64 = ClientSession.expirySlots) {
        self.init(rules: KVRules(sessionExpirySlots: sessionExpirySlots))
    }

    public init(rules: KVRules) {
        store = MemoryKVRows()
        self.rules = rules
    }

    /// A state machine restored from rows that were taken at `appliedThrough`: a snapshot, or
    /// a node's stored `kv` and `sessions` tables (`paxos-inspect` replays a node's log on top
    /// of another node's tables this way).
    /// - Precondition: the rows are the state after applying every slot ≤ `appliedThrough`.
    public init(rows: [Bytes: KVRow], sessions: [ClientID: ClientSession], appliedThrough: Slot,
                sessionExpirySlots: UInt64 = ClientSession.expirySlots, clock: LeaderTime = LeaderTime(rawValue: 0)) {
        store = MemoryKVRows(rows: rows, sessions: sessions, clock: clock)
        self.appliedThrough = appliedThrough
        rules = KVRules(sessionExpirySlots: sessionExpirySlots)
    }

    /// Applies the command chosen for `slot` and returns one result per request in the batch.
    /// - Precondition: `slot == appliedThrough.next` (the core emits applies in order).
    public mutating func apply(slot: Slot, command: Command) -> [(request: ClientRequest, result: OperationResult)] {
        precondition(slot == appliedThrough.next, "apply of slot \(slot) after \(appliedThrough): out of order")
        appliedThrough = slot
        return OperationExecutor.apply(command, slot: slot, store: &store, rules: rules)
    }

    /// `apply`, also returning what the slot changed (`KVChange`), as a node records it.
    public mutating func applyRecordingChanges(slot: Slot, command: Command)
        -> (results: [(request: ClientRequest, result: OperationResult)], changes: [KVChange]) {
        precondition(slot == appliedThrough.next, "apply of slot \(slot) after \(appliedThrough): out of order")
        appliedThrough = slot
        var changes: [KVChange]? = []
        let results = OperationExecutor.apply(command, slot: slot, store: &store, rules: rules, recording: &changes)
        return (results, changes ?? [])
    }

    /// The key's value, absent once its deadline is at or before the log's clock.
    public func get(_ key: Bytes) -> Bytes? { store.row(key)?.value }

    /// The key's live row, revision and deadline included.
    public func row(_ key: Bytes) -> KVRow? { store.row(key) }

    /// The state machine's clock (`KVRowStore.clock`).
    public var clock: LeaderTime { store.clock }

    /// The earliest deadline of any row, expired or not (the shell proposes a clock slot when
    /// its wall clock passes it: `ShellView.nextDeadline`); nil when no row has one.
    public var nextDeadline: LeaderTime? { store.rows.values.lazy.compactMap(\.deadline).min() }

    /// The answer to a read of some keys, by the rule the SQLite store uses too.
    public func answer(_ query: ReadQuery) -> ReadAnswer { query.answer(from: store) }
    /// `query` as of the leader's `readTime` (`ReadQuery.read(from:at:)`).
    public func read(_ query: ReadQuery, at readTime: LeaderTime?) -> ReadResult {
        query.read(from: store, at: readTime)
    }
}

/// `KVRowStore` over two dictionaries. Kept apart from `KVStateMachine` so that the state
/// machine's own API cannot write a row except by applying a command.
struct MemoryKVRows: KVRowStore, Hashable, Sendable {
    var rows: [Bytes: KVRow] = [:]
    var sessions: [ClientID: ClientSession] = [:]
    private(set) var clock = LeaderTime(rawValue: 0)

    init(rows: [Bytes: KVRow] = [:], sessions: [ClientID: ClientSession] = [:], clock: LeaderTime = LeaderTime(rawValue: 0)) {
        self.rows = rows
        self.sessions = sessions
        self.clock = clock
    }

    func row(_ key: Bytes) -> KVRow? { rows[key].flatMap { $0.isLive(at: clock) ? $0 : nil } }
    mutating func write(_ key: Bytes, _ row: KVRow) { rows[key] = row }
    mutating func remove(_ key: Bytes) -> Bool { rows.removeValue(forKey: key)?.isLive(at: clock) ?? false }
    mutating func advanceClock(to time: LeaderTime) {
        precondition(time > clock, "clock \(clock) moved to \(time): it only rises")
        clock = time
    }
    /// The planted bug `StateMachineBug.clockNotMonotonic`'s wrong rule; the executor calls it
    /// under that bug only.
    mutating func _plantedRewindClock(to time: LeaderTime) { clock = time }

    /// Sorts every expired row: fine for the simulator's small tables (SQLite walks an index).
    func expiredKeys(through time: LeaderTime, limit: Int) -> [Bytes] {
        let expired = rows.compactMap { key, row in row.deadline.flatMap { $0 <= time ? (key, $0) : nil } }
        return expired.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0.lexicographicallyPrecedes($1.0) }.prefix(limit).map(\.0)
    }
    func session(_ client: ClientID) -> ClientSession? { sessions[client] }
    mutating func write(_ session: ClientSession, for client: ClientID) { sessions[client] = session }
    mutating func pruneSessions(before slot: Slot) { sessions = sessions.filter { $0.value.slot >= slot } }
}
