import Foundation
import PaxosCore

/// When and how a store writes its `DurableMarks`, and the check at open.
struct MarksRecorder {
    let path: String
    /// Only synced commits make marks true: under `--sync normal` none is.
    let synchronousFull: Bool
    let intervalNanoseconds: UInt64
    /// False while `transactionWithoutSync` runs.
    var commitsAreSynced = true
    private var lastWrittenAt: UInt64 = 0
    private var lastWritten: DurableMarks?

    init(path: String, options: SQLiteLogStore.Options) {
        self.path = path
        synchronousFull = options.synchronous == .full
        intervalNanoseconds = UInt64(max(0, options.marksIntervalMilliseconds)) * 1_000_000
    }

    /// A synced commit just returned and the last write is at least the interval old.
    var isDue: Bool {
        synchronousFull && commitsAreSynced && DispatchTime.now().uptimeNanoseconds &- lastWrittenAt >= intervalNanoseconds
    }

    mutating func write(_ marks: DurableMarks) throws(DurableFileError) {
        lastWrittenAt = DispatchTime.now().uptimeNanoseconds
        guard marks != lastWritten else { return }
        try DurableFile.save(marks.text, to: path)
        lastWritten = marks
    }

    /// At a clean close: the marks are true once the WAL is gone (SQLite checkpointed it into
    /// the main file, which a checkpoint fsyncs, and deleted it); with a WAL left behind (another
    /// connection was open) the marks of the last synced commit stand.
    mutating func recordAtClose(_ marks: DurableMarks, walPath: String) {
        guard !FileManager.default.fileExists(atPath: walPath) else { return }
        do { try write(marks) } catch {
            // Older marks only lag the database, which is safe; the close goes on.
            return
        }
    }
}

extension SQLiteLogStore {
    /// The marks of what the database holds now.
    func currentMarks() throws(LogStoreError) -> DurableMarks {
        let lastLogSlot = try sqlite { () throws(SQLiteError) in try database.scalarInt("SELECT max(slot) FROM log") } ?? 0
        return DurableMarks(incarnation: incarnation, promised: promised, chosenThrough: chosenThrough,
                            appliedThrough: appliedThrough, lastSlot: max(Slot(UInt64(bitPattern: lastLogSlot)), snapshotSlot))
    }

    func currentMarksIfReadable() -> DurableMarks? {
        do { return try currentMarks() } catch { return nil }
    }

    /// Right after a synced commit everything the database holds is durable: record it.
    func recordMarks() throws(LogStoreError) {
        let current = try currentMarks()
        do { try marks.write(current) } catch { throw .sideFile(path: marks.path, reason: error.description) }
    }

    /// Refuses a database that holds less than its marks say it held, or that was `created` by
    /// this open next to marks of a database that held something: a database whose main file was
    /// never checkpointed is empty without its WAL, and would otherwise start over as a new one.
    func refuseLostWrites(created: Bool) throws(LogStoreError) {
        let text: String?
        do { text = try DurableFile.read(marks.path) } catch { throw .sideFile(path: marks.path, reason: error.description) }
        guard let text else { return }
        guard let recorded = DurableMarks(text: text) else {
            throw .sideFile(path: marks.path, reason: "it is not a marks file this build wrote; if it is damaged, delete it "
                + "(the database is then no longer checked against it until the next synced commit)")
        }
        if created && recorded.lastSlot > .zero || created && recorded.promised > .zero {
            throw .corrupt(path: path, slot: nil, reason: "the database is missing or empty, but \(marks.path) records that "
                + "it held slots up to \(recorded.lastSlot) and promised ballot \(recorded.promised). Its files (or its "
                + "write-ahead log \(path)-wal, which held everything not yet checkpointed) were lost, so this acceptor "
                + "forgot promises or votes it gave. Refusing to start. Recover by re-admitting this replica with a "
                + "fresh disk (`paxosctl member replace`, see README): empty the whole node directory, marks included")
        }
        let missing = recorded.shortfalls(of: try currentMarks())
        guard !missing.isEmpty else { return }
        throw .corrupt(path: path, slot: nil, reason: "it holds less than it held before: its "
            + missing.joined(separator: "; its ")
            + " (recorded in \(marks.path)). Its write-ahead log (\(path)-wal) was most likely truncated or removed, "
            + "so this acceptor forgot promises or votes it gave, and answering again could break Paxos safety. "
            + "Refusing to start. Recover by re-admitting this replica with a fresh disk (`paxosctl member replace`, "
            + "see README); do not delete the marks file to force a start")
    }
}
