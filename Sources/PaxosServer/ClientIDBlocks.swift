import Foundation
import PaxosStorage
#if canImport(Glibc)
import Glibc
#endif

/// Where connections' client ids come from, so that no two connections ever share one.
///
/// A client id names a session in the replicated sessions table, and the exactly-once rule
/// answers a request from its session's record: two connections with one id would see each
/// other's writes as duplicates or as superseded (a write acknowledged that was never applied).
/// So ids must not repeat across connections, processes and restarts, `--seed` or not:
///
/// ```
/// client id := block:u32 (high half) | replica id mod 256 (8 bits) | counter (24 bits)
/// ```
///
/// A *block* is 2^24 ids. The node directory's `client-ids` file holds the next block no
/// process of this node has used; a process reserves `blocksPerReservation` blocks by writing the
/// file (atomically, fsynced) before it hands out an id from them, and reserves more when it has
/// used them. A directory without the file (a new node, or a replaced disk) starts at a random
/// block, drawn from the system's generator, never from `--seed`: a replaced disk's ids then
/// meet its predecessor's only if their random starts fall within the few blocks either used.
///
/// Confined to the node's event loop, like `Node`. A reservation after start-up blocks the loop
/// for one fsync, once per `blocksPerReservation × 2^24` connections.
struct ClientIDBlocks {
    static let fileName = "client-ids"
    static let blocksPerReservation: UInt32 = 16

    let path: String
    /// Blocks reserved at a time (`blocksPerReservation` unless a test asks for fewer).
    let reservation: UInt32
    private(set) var block: UInt32
    private var reservedEnd: UInt32
    /// The next id's low 24 bits; 0 is never used, so no id is 0.
    private var counter: UInt32 = 1

    /// Reads the node directory's file (or draws a start) and reserves the first blocks.
    /// - Throws: `ClientIDBlocksError` when the file is unreadable, malformed, or cannot be written.
    init(nodeDirectory: String, reservation: UInt32 = Self.blocksPerReservation) throws(ClientIDBlocksError) {
        path = (nodeDirectory as NSString).appendingPathComponent(Self.fileName)
        self.reservation = max(reservation, 1)
        let start = try Self.read(path) ?? UInt32.random(in: 0...UInt32.max)
        block = start
        reservedEnd = start
        try reserve(from: start)
    }

    /// The next id for a connection of replica `replica`.
    mutating func next(replica: UInt32) throws(ClientIDBlocksError) -> UInt64 {
        if counter > 0xFF_FFFF {
            counter = 1
            block &+= 1
            if block == reservedEnd { try reserve(from: block) }
        }
        defer { counter += 1 }
        return UInt64(block) << 32 | UInt64(replica & 0xFF) << 24 | UInt64(counter)
    }

    /// Records that blocks `start ..< start + blocksPerReservation` are taken, before any is used.
    private mutating func reserve(from start: UInt32) throws(ClientIDBlocksError) {
        let end = start &+ reservation
        try Self.write(end, to: path)
        reservedEnd = end
    }

    private static func read(_ path: String) throws(ClientIDBlocksError) -> UInt32? {
        let text: String
        do {
            guard let contents = try DurableFile.read(path) else { return nil }
            text = contents
        } catch { throw ClientIDBlocksError(error.description) }
        guard let value = UInt32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ClientIDBlocksError("\(path) does not hold a block number (\(text.prefix(40).debugDescription)); delete it only if no node process runs from this directory")
        }
        return value
    }

    /// Writes `value` durably (`DurableFile`: a temporary file, fsync, rename, fsync of the directory).
    private static func write(_ value: UInt32, to path: String) throws(ClientIDBlocksError) {
        let directory = (path as NSString).deletingLastPathComponent
        let reason: String
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try DurableFile.save("\(value)\n", to: path)
            return
        } catch let error as DurableFileError {
            reason = error.description
        } catch {
            reason = error.localizedDescription
        }
        throw ClientIDBlocksError("cannot write in the node directory \(directory) (is it read-only, or the disk full?): \(reason)")
    }
}

struct ClientIDBlocksError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
