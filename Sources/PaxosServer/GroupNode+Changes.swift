import PaxosCore
import PaxosStorage

/// `CHANGES` reads of this group (`ChangesCommand`): each is a storage job queued behind the
/// applies before it, so it sees every slot this node applied by then; an empty answer with
/// BLOCK waits here until the group applies the slot it asks from, or its deadline passes.
///
/// Nothing here decides what a change is or which revision comes next: the store answers
/// (`SQLiteLogStore.changes`), and a waiting read is asked again from the `next` it was given.
struct ChangesReads {
    struct Reader {
        var query: ChangesQuery
        /// `GroupNode.nowMilliseconds` after which an empty answer is given as it is.
        var deadline: UInt64
        var respond: (Result<ChangesAnswer, LogStoreError>) -> Void
    }

    /// Reads submitted to storage, by token.
    var reading: [UInt64: Reader] = [:]
    /// Reads that found nothing new, waiting for an apply at or past their `from` slot.
    /// - Invariant: every query here has a `from` (`$` was replaced by its answer's `next`).
    var waiting: [UInt64: Reader] = [:]
    var nextToken: UInt64 = 1

    /// The most reads one group keeps waiting; more are answered at once (empty). A waiting read
    /// outlives its connection until its deadline, so without a bound a client that opens,
    /// blocks and closes connections in a loop could make the node hold any number of them.
    static let maxWaiting = 10_000
}

extension GroupNode {
    func readChanges(_ query: ChangesQuery, blockMilliseconds: Int, respond: @escaping (Result<ChangesAnswer, LogStoreError>) -> Void) {
        let token = changesReads.nextToken
        changesReads.nextToken += 1
        changesReads.reading[token] = ChangesReads.Reader(query: query, deadline: Self.nowMilliseconds + UInt64(max(0, blockMilliseconds)),
                                                          respond: respond)
        var jobs: [StorageJob] = [.changes(query, token: token)]
        submit(&jobs)
    }

    /// A read's answer from storage: given to the client, or, when it holds nothing and the
    /// reader blocks, kept until the group applies the slot it now asks from.
    func onChanges(token: UInt64, _ result: Result<ChangesAnswer, LogStoreError>) {
        guard var reader = changesReads.reading.removeValue(forKey: token) else { return }
        guard case .success(.page(let changes, let next)) = result, changes.isEmpty,
              Self.nowMilliseconds < reader.deadline, !stopping, changesReads.waiting.count < ChangesReads.maxWaiting else {
            return reader.respond(result)
        }
        reader.query.from = next
        changesReads.waiting[token] = reader
    }

    /// After the group applied `applied` (the slots of one storage batch, in order) with
    /// `changes`: a waiting read that one of them concerns is asked again; one they all pass by
    /// (none at or after its revision matches its prefix) moves on past them without a read,
    /// so an idle watcher of a quiet prefix costs a prefix check per change, not a storage
    /// read per batch. Only slots these completions cover are judged that way: a read whose
    /// `from` is before them (slots applied while a simulated failure hid completions) or a
    /// snapshot install is asked again.
    func wakeChangesReads(applied: ClosedRange<Slot>?, changes: [KVChange], installed: Slot?) {
        let last = max(applied?.upperBound ?? .zero, installed ?? .zero)
        guard !changesReads.waiting.isEmpty, last > .zero else { return }
        var jobs: [StorageJob] = []
        for (token, var reader) in changesReads.waiting {
            guard let from = reader.query.from, let fromSlot = reader.query.fromSlot, fromSlot <= last else { continue }
            let covered = installed == nil && applied.map { fromSlot >= $0.lowerBound } == true
            if covered, !changes.contains(where: { $0.revision.rawValue >= from && reader.query.matches($0.event.key) }) {
                reader.query.from = max(from, ChangesAnswer.firstRevision(of: last.next))
                changesReads.waiting[token] = reader
                continue
            }
            changesReads.waiting[token] = nil
            changesReads.reading[token] = reader
            jobs.append(.changes(reader.query, token: token))
        }
        submit(&jobs)
    }

    /// Answers the waiting reads whose time is up (all of them when stopping): nothing new, and
    /// the revision to ask from next.
    func expireChangesReads(all: Bool = false) {
        guard !changesReads.waiting.isEmpty else { return }
        let now = Self.nowMilliseconds
        for (token, reader) in changesReads.waiting where all || reader.deadline <= now {
            changesReads.waiting[token] = nil
            reader.respond(.success(.page(changes: [], next: reader.query.from ?? 0)))
        }
    }
}
