import Dispatch
import PaxosCore
import PaxosStorage
import PaxosWire

/// The SQLite work of snapshot transfers and backups, off the event loop and off the storage
/// thread.
///
/// Reading a snapshot to send, staging one being received and writing a backup can each take
/// seconds for a large table. On the event loop that would stall every peer and client; on the
/// storage thread it would stall the group commits the protocol waits for. Each runs here on its
/// own connection (WAL lets readers and the one writer proceed together): exports and backups on
/// one serial queue, staging on another, so a backup does not hold up a transfer being received.
/// The storage thread is used for one thing only, the install, because that must be ordered with
/// the applies around it.
///
/// Completions run on the worker's queues; callers hop back to their loop.
///
/// - Invariant: `exporters` is touched only on `exportQueue`, `staging` only on `stagingQueue`.
final class SnapshotWorker: @unchecked Sendable {
    // @unchecked Sendable: each mutable property is confined to one serial queue (see above).
    private let exportQueue = DispatchQueue(label: "paxos-snapshot-export")
    private let stagingQueue = DispatchQueue(label: "paxos-snapshot-staging")
    let databasePath: String
    private var exporters: [UInt64: SnapshotExporter] = [:]
    private let staging: SnapshotStaging

    init(databasePath: String) {
        self.databasePath = databasePath
        staging = SnapshotStaging(databasePath: databasePath)
    }

    /// Where a complete staged snapshot lies, for the install.
    var stagingPath: String { staging.path }

    // MARK: sending

    /// Opens transfer `transfer`'s read transaction; reports the stream's header.
    func openExport(transfer: UInt64, done: @escaping @Sendable (Result<SnapshotHeader, LogStoreError>) -> Void) {
        exportQueue.async { [self] in
            do throws(LogStoreError) {
                let exporter = try SnapshotExporter.open(databasePath: databasePath)
                exporters[transfer] = exporter
                done(.success(exporter.header))
            } catch {
                done(.failure(error))
            }
        }
    }

    /// Reads the next chunk of `transfer`; nil when the transfer was closed meanwhile or is done.
    func readChunk(transfer: UInt64, done: @escaping @Sendable (Result<ExportedChunk?, LogStoreError>) -> Void) {
        exportQueue.async { [self] in
            guard let exporter = exporters[transfer] else { return done(.success(nil)) }
            do throws(LogStoreError) {
                done(.success(try exporter.nextChunk()))
            } catch {
                done(.failure(error))
            }
        }
    }

    /// Ends `transfer`'s read transaction, so the node's WAL can be checkpointed past it again.
    func closeExport(transfer: UInt64) {
        exportQueue.async { [self] in
            exporters.removeValue(forKey: transfer)?.close()
        }
    }

    /// A consistent copy of the database at `path` (`SQLiteLogStore.backup`).
    func backup(to path: String, done: @escaping @Sendable (Result<BackupSummary, LogStoreError>) -> Void) {
        exportQueue.async { [self] in
            done(Result { () throws(LogStoreError) in try SQLiteLogStore.backup(databasePath: databasePath, to: path) })
        }
    }

    // MARK: receiving

    /// Starts staging `transfer` (discarding any earlier one) and stages its first chunk.
    /// Reports what `stage` reports.
    func beginStaging(_ chunk: SnapshotChunk, done: @escaping @Sendable (Result<StagedMemberships?, SnapshotStagingError>) -> Void) {
        stagingQueue.async { [self] in
            do throws(SnapshotStagingError) {
                try staging.begin(transfer: chunk.transfer)
                done(.success(try append(chunk)))
            } catch {
                done(.failure(error))
            }
        }
    }

    /// Stages one chunk of the transfer being received; reports nil while chunks are missing, and
    /// the snapshot's memberships once it is complete.
    func stage(_ chunk: SnapshotChunk, done: @escaping @Sendable (Result<StagedMemberships?, SnapshotStagingError>) -> Void) {
        stagingQueue.async { [self] in
            done(Result { () throws(SnapshotStagingError) -> StagedMemberships? in try append(chunk) })
        }
    }

    /// Deletes whatever is staged.
    func discardStaging() {
        stagingQueue.async { [self] in staging.discard() }
    }

    private func append(_ chunk: SnapshotChunk) throws(SnapshotStagingError) -> StagedMemberships? {
        let complete = try staging.append(transfer: chunk.transfer, index: chunk.index, data: chunk.data,
                                          last: chunk.last, crc: chunk.crc)
        guard complete else { return nil }
        if let header = staging.header, header.slot != chunk.slot {
            staging.discard()
            throw .rejected("the stream's header says slot \(header.slot), its chunks say slot \(chunk.slot)")
        }
        return StagedMemberships(memberships: staging.memberships)
    }

    /// Waits until everything queued on both queues has run (shutdown).
    func drain() {
        exportQueue.sync { for exporter in exporters.values { exporter.close() }; exporters = [:] }
        stagingQueue.sync {}
    }
}

/// The memberships of a completely staged snapshot: every one chosen through its slot, which the
/// core is given with `.snapshotReceived` (empty when the sender's database records none).
struct StagedMemberships: Sendable {
    var memberships: [ScheduledMembership]
}
