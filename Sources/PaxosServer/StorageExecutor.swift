import Dispatch
import Foundation
package import PaxosCore
package import PaxosStorage
import Synchronization

/// Work for the node's storage thread, executed strictly in submission order.
package enum StorageJob: Sendable {
    /// Make a persist record durable (group-committed with its neighbours).
    case persist(PersistRecord)
    /// Apply a chosen command to the KV table and sessions.
    case apply(slot: Slot, command: Command)
    /// Answer a read of some keys; queued behind every apply before it, so the answer includes them.
    case read(ReadQuery, token: UInt64, readTime: LeaderTime?)
    /// Answer a `CHANGES` read from the applied slots (every apply queued before it included).
    case changes(ChangesQuery, token: UInt64)
    /// Replace the applied state with the staged snapshot of `slot`, in its own transaction,
    /// after every job before it and before every job after it.
    case installSnapshot(slot: Slot, stagingPath: String)
    /// Record the cluster UUID and the first memberships, durably, in their own transaction.
    case recordGenesis(clusterUUID: String, memberships: [ScheduledMembership])
    /// Report the log clock and the earliest deadline (`StorageCompletion.clock`) without an
    /// apply: at start, so a leader expires keys even if nothing is written after a restart.
    case reportClock
}

/// What a batch of jobs produced, in job order.
package enum StorageCompletion: Sendable {
    case persisted(PersistID)
    /// The slot's results, and what it changed (`KVChange`: the keyspace notifications' events).
    case applied(slot: Slot, results: [(request: ClientRequest, result: OperationResult)], changes: [KVChange])
    case read(token: UInt64, ReadResult)
    /// A `CHANGES` answer; a damaged `kv_changes` row is that read's failure, not the node's.
    case changes(token: UInt64, Result<ChangesAnswer, LogStoreError>)
    case installed(slot: Slot)
    /// The genesis record is durable.
    case genesisRecorded
    /// A background compaction finished (see `requestCompaction`).
    case compacted(CompactionReport)
    /// After a batch that applied slots (or installed a snapshot): the log clock and the
    /// earliest stored deadline, for the shell's stamping and background expiry.
    case clock(LeaderTime, nextDeadline: LeaderTime?)
}

/// What one background compaction did.
package struct CompactionReport: Sendable {
    package var snapshotSlot: Slot
    package var deletedRows: Int
    /// Transactions it took (compaction steps plus space reclaiming).
    package var transactions: Int
    package var pagesReleased: Int
    /// The database, WAL and shared-memory files afterwards.
    package var diskBytes: Int64
}

/// One drained batch: its completions and how long its commits took.
package struct StorageBatch: Sendable {
    package var completions: [StorageCompletion]
    package var jobs: Int
    package var commitNanoseconds: Int64
}

/// Owns the node's SQLite store on a dedicated thread, so fsyncs never block the event loop.
///
/// Group commit: the thread drains *everything* queued, makes all the persist records in it
/// durable in one transaction (records are never reordered around the applies and reads that
/// follow them), applies chosen commands, serves reads, then reports the batch: persist notices
/// after the commit, apply and read results just before it (they need no fsync; see `commit`).
/// While one batch commits, the next gathers. The queue is bounded; the node's core bounds its
/// own pipeline, so a full queue means the disk cannot keep up and the node stops (fail-stop).
package final class StorageExecutor: Sendable {
    package enum SubmitError: Error, CustomStringConvertible {
        case queueFull(limit: Int)
        case stopped
        /// The storage thread stopped on this error: what a refused submit reports, so the
        /// node's last words name the cause (a full disk, say) whichever path notices first.
        case failed(LogStoreError)
        package var description: String {
            switch self {
            case .queueFull(let limit): "storage queue is full (\(limit) jobs); the disk is not keeping up"
            case .stopped: "storage executor is stopped"
            case .failed(let error): "storage failed: \(error)"
            }
        }
    }

    private enum Item: Sendable {
        case job(StorageJob)
        case barrier(@Sendable (Result<DurableState, LogStoreError>) -> Void)
    }

    private struct State: Sendable {
        var queue: [Item] = []
        var idle = false
        var stopping = false
        /// Why the thread stopped, if an error stopped it.
        var failure: LogStoreError?
        /// Compact the log through this slot, in the background (see `requestCompaction`).
        var compactThrough: Slot?
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    package let maxQueuedJobs: Int

    /// - Parameters:
    ///   - store: handed over to the thread (`sending`); the caller MUST NOT use it again.
    ///   - onBatch: called on the storage thread after each batch; hand the result to the node's
    ///     loop and return. A failure is reported once and the thread stops.
    package init(store: sending SQLiteLogStore, maxQueuedJobs: Int = 100_000,
                onBatch: @escaping @Sendable (Result<StorageBatch, LogStoreError>) -> Void) {
        self.maxQueuedJobs = maxQueuedJobs
        let owned = StoreOwner(store)
        let thread = Thread { [self] in run(owned, onBatch: onBatch) }
        thread.name = "paxos-storage"
        thread.start()
    }

    package func submit(_ jobs: [StorageJob]) throws(SubmitError) {
        let signal = try state.withLock { state throws(SubmitError) -> Bool in
            if let failure = state.failure { throw .failed(failure) }
            if state.stopping { throw .stopped }
            guard state.queue.count + jobs.count <= maxQueuedJobs else { throw .queueFull(limit: maxQueuedJobs) }
            state.queue.append(contentsOf: jobs.map(Item.job))
            defer { state.idle = false }
            return state.idle
        }
        if signal { wakeup.signal() }
    }

    /// Asks for the log to be compacted through `slot` (clamped to the applied slot) and the
    /// freed space reclaimed, in small transactions: one step (at most
    /// `SQLiteLogStore.compactionRowsPerStep` rows, or 1,024 pages) after each batch of jobs,
    /// and steps back to back while no job waits. Jobs always go first, so compaction never
    /// holds up a persist for longer than one step. A request made while a run is under way is
    /// taken up when it finishes (the highest slot asked for wins). Each finished run is
    /// reported as `.compacted`.
    package func requestCompaction(through slot: Slot) {
        let signal = state.withLock { state -> Bool in
            state.compactThrough = max(state.compactThrough ?? .zero, slot)
            defer { state.idle = false }
            return state.idle
        }
        if signal { wakeup.signal() }
    }

    /// Runs `body` on the storage thread after every job submitted before it, with the durable
    /// state then on disk (used to restart a replica after a simulated failure).
    package func barrier(_ body: @escaping @Sendable (Result<DurableState, LogStoreError>) -> Void) {
        let signal = state.withLock { state -> Bool in
            state.queue.append(.barrier(body))
            defer { state.idle = false }
            return state.idle
        }
        if signal { wakeup.signal() }
    }

    /// Finishes queued work, stops the thread and closes the store. Blocks until done.
    package func shutdown() {
        let signal = state.withLock { state -> Bool in
            state.stopping = true
            defer { state.idle = false }
            return state.idle
        }
        if signal { wakeup.signal() }
        finished.wait()
        finished.signal()
    }

    private func run(_ owner: StoreOwner, onBatch: @Sendable (Result<StorageBatch, LogStoreError>) -> Void) {
        defer {
            owner.store.close()
            finished.signal()
        }
        var compaction = CompactionRun()
        while true {
            let (items, compactThrough): ([Item]?, Slot?) = state.withLock { state in
                if compaction.target == nil, let slot = state.compactThrough {
                    state.compactThrough = nil
                    return ([], slot)
                }
                if state.queue.isEmpty {
                    if state.stopping { return (nil, nil) }
                    state.idle = compaction.target == nil
                    return ([], nil)
                }
                defer { state.queue.removeAll(keepingCapacity: true) }
                return (state.queue, nil)
            }
            guard let items else { return }
            if let compactThrough { compaction.start(through: compactThrough) }
            do {
                if !items.isEmpty {
                    try execute(items, store: owner.store, onBatch: onBatch)
                } else if compaction.target == nil {
                    wakeup.wait()
                    continue
                }
                // One bounded step after every batch, or back to back while idle.
                if let report = try compaction.step(owner.store) {
                    onBatch(.success(StorageBatch(completions: [.compacted(report)], jobs: 0, commitNanoseconds: 0)))
                }
            } catch {
                // Recorded before it is reported: a submit racing with the report names it too.
                state.withLock {
                    $0.failure = error
                    $0.stopping = true
                }
                onBatch(.failure(error))
                return
            }
        }
    }

    /// Executes a drained queue. Everything between two barriers shares one transaction, so one
    /// fsync makes every persist record and every applied slot in it durable (group commit);
    /// completions are reported only after that commit.
    private func execute(_ items: [Item], store: SQLiteLogStore,
                         onBatch: @Sendable (Result<StorageBatch, LogStoreError>) -> Void) throws(LogStoreError) {
        var segment: [StorageJob] = []
        for item in items {
            switch item {
            case .job(.installSnapshot(let slot, let stagingPath)):
                // Its own transaction (attaching the staging file needs none open), in order.
                try runAlone(after: &segment, store: store, onBatch: onBatch, completion: .installed(slot: slot)) { () throws(LogStoreError) in
                    try store.installSnapshot(slot: slot, stagingPath: stagingPath)
                }
                try reportClock(store: store, onBatch: onBatch)
            case .job(.recordGenesis(let uuid, let memberships)):
                try runAlone(after: &segment, store: store, onBatch: onBatch, completion: .genesisRecorded) { () throws(LogStoreError) in
                    try store.recordGenesis(clusterUUID: uuid, memberships: memberships)
                }
            case .job(let job):
                segment.append(job)
            case .barrier(let body):
                try commit(segment, store: store, onBatch: onBatch)
                segment.removeAll(keepingCapacity: true)
                body(Result { () throws(LogStoreError) in try store.loadDurableState() })
                // A (re)loaded node knows its deadlines before its first apply, so a leader
                // expires keys even if nothing is written after a restart.
                try reportClock(store: store, onBatch: onBatch)
            }
        }
        try commit(segment, store: store, onBatch: onBatch)
    }

    /// Reports the log clock and the earliest deadline outside any apply (`StorageCompletion.clock`).
    private func reportClock(store: SQLiteLogStore, onBatch: @Sendable (Result<StorageBatch, LogStoreError>) -> Void) throws(LogStoreError) {
        let clock = StorageCompletion.clock(store.logClock, nextDeadline: try store.nextDeadline())
        onBatch(.success(StorageBatch(completions: [clock], jobs: 0, commitNanoseconds: 0)))
    }

    /// Commits the jobs before it, then runs `body` (which opens its own transaction) alone, and
    /// reports `completion`.
    private func runAlone(after segment: inout [StorageJob], store: SQLiteLogStore,
                          onBatch: @Sendable (Result<StorageBatch, LogStoreError>) -> Void, completion: StorageCompletion,
                          _ body: () throws(LogStoreError) -> Void) throws(LogStoreError) {
        try commit(segment, store: store, onBatch: onBatch)
        segment.removeAll(keepingCapacity: true)
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        let elapsed = Int64(DispatchTime.now().uptimeNanoseconds - start)
        onBatch(.success(StorageBatch(completions: [completion], jobs: 1, commitNanoseconds: elapsed)))
    }

    private func commit(_ jobs: [StorageJob], store: SQLiteLogStore,
                        onBatch: @Sendable (Result<StorageBatch, LogStoreError>) -> Void) throws(LogStoreError) {
        guard !jobs.isEmpty else { return }
        let start = DispatchTime.now().uptimeNanoseconds
        // Only acceptor state needs the fsync; a batch of applies, chosen marks and reads
        // commits without one (see `PersistRecord.requiresSync`).
        let needsSync = jobs.contains { if case .persist(let record) = $0 { record.requiresSync } else { false } }
        let writes = jobs.contains { if case .read = $0 { false } else if case .changes = $0 { false } else { true } }
        let run = { (body: () throws(LogStoreError) -> [StorageCompletion]) throws(LogStoreError) -> [StorageCompletion] in
            needsSync ? try store.transaction(body) : try store.transactionWithoutSync(body)
        }
        let completions = try run { () throws(LogStoreError) -> [StorageCompletion] in
            var completions: [StorageCompletion] = []
            completions.reserveCapacity(jobs.count)
            for job in jobs {
                switch job {
                case .persist(let record):
                    try store.persist([record])
                    // Consecutive records collapse into one notice: the core only needs the newest.
                    if case .persisted = completions.last { completions.removeLast() }
                    completions.append(.persisted(record.id))
                case .apply(let slot, let command):
                    let (results, changes) = try store.applyRecordingChanges(slot: slot, command: command)
                    completions.append(.applied(slot: slot, results: results, changes: changes))
                case .read(let query, let token, let readTime):
                    completions.append(.read(token: token, try store.read(query, at: readTime)))
                case .changes(let query, let token):
                    completions.append(.changes(token: token, Result { () throws(LogStoreError) in try store.changes(query) }))
                case .reportClock:
                    completions.append(.clock(store.openClock, nextDeadline: try store.nextDeadline()))
                case .installSnapshot, .recordGenesis:
                    // `execute` runs these between segments; one never reaches a segment.
                    throw LogStoreError.invalidArgument("a snapshot install or genesis record was put inside a group commit")
                }
            }
            if jobs.contains(where: { if case .apply = $0 { true } else { false } }) {
                completions.append(.clock(store.openClock, nextDeadline: try store.nextDeadline()))
            }
            // The results of applies and reads leave before the commit. They may: an apply's
            // result and a read's value depend only on commands already chosen (durable on a
            // majority), so if this commit is lost to a crash the node re-applies the same slots
            // to the same results; a linearizable read was confirmed before it was queued; and
            // anything the loop queues after seeing them runs after this commit (one FIFO).
            // Only acceptor state must wait for the disk, and `.persisted` is reported after the
            // commit. Without this a client's write waited for the fsync of whatever accepts
            // happened to share its apply's batch, and in a batch of applies alone for the WAL
            // writes of its commit (an A/B of 5 pairs: one client's write p50 −5 %, writes/s at
            // 64 clients +10 %). A batch that writes nothing (reads alone) commits at once, so
            // it reports once, after its commit: an early report would cost the loop a second
            // wake-up for nothing.
            if needsSync || writes, completions.contains(where: { !$0.isPersisted }) {
                onBatch(.success(StorageBatch(completions: completions.filter { !$0.isPersisted }, jobs: 0, commitNanoseconds: 0)))
                completions.removeAll { !$0.isPersisted }
            }
            return completions
        }
        let elapsed = Int64(DispatchTime.now().uptimeNanoseconds - start)
        onBatch(.success(StorageBatch(completions: completions, jobs: jobs.count, commitNanoseconds: elapsed)))
    }
}

extension StorageCompletion {
    var isPersisted: Bool {
        if case .persisted = self { true } else { false }
    }
}

/// Carries the store into the storage thread.
/// - Invariant: after `StorageExecutor.init` only the storage thread touches `store`.
private final class StoreOwner: @unchecked Sendable {
    // @unchecked Sendable: ownership moves to the storage thread at init and never comes back.
    let store: SQLiteLogStore
    init(_ store: sending SQLiteLogStore) { self.store = store }
}
