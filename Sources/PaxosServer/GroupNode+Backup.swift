import Foundation
import Logging
import NIOCore
import PaxosStorage
import PaxosWire

extension GroupNode {
    /// A consistent copy of this group's database, written on the worker (its own connection, one
    /// read transaction), so neither the loop nor the storage thread waits for it. The copy is
    /// this node's applied state; on a follower that may be a little behind the leader.
    /// - Parameter done: called on `loop` with nil on success, or what went wrong.
    func backup(to path: String, done: @escaping (String?) -> Void) {
        // The closure belongs to the loop; it travels through the worker only to come back.
        let reply = NIOLoopBound(done, eventLoop: loop)
        worker.backup(to: path) { [self] result in
            loop.execute { [self] in
                switch result {
                case .success(let summary):
                    logger.notice("backup written", metadata: [
                        "backup.path": "\(summary.path)", "paxos.slot": "\(summary.appliedThrough)", "storage.bytes": "\(summary.bytes)",
                    ])
                    reply.value(nil)
                case .failure(let error):
                    logger.warning("backup failed", metadata: ["backup.path": "\(path)", "error": "\(error)"])
                    reply.value("\(error)")
                }
            }
        }
    }
}

extension Node {
    /// `BACKUP <path>`: with one group, a copy of the database at `path`; with several, a
    /// directory `path` holding `group-<g>.sqlite` for every group (each copy consistent on its
    /// own; groups are independent, so there is no cross-group point in time to keep).
    /// `paxosd --restore` takes the same file or directory.
    func backup(to path: String, respond: @escaping (RESPValue) -> Void) {
        guard groups.count > 1 else {
            groups[0].backup(to: path) { error in respond(error.map { .error("ERR backup failed: \($0)") } ?? .simpleString("OK")) }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            respond(.error("ERR backup failed: cannot create the directory \(path): \(error.localizedDescription)"))
            return
        }
        var remaining = groups.count
        var failures: [String] = []
        for group in groups {
            let file = (path as NSString).appendingPathComponent(settings.placement(group: group.group).fileName)
            group.backup(to: file) { error in
                if let error { failures.append("group \(group.group): \(error)") }
                remaining -= 1
                guard remaining == 0 else { return }
                respond(failures.isEmpty ? .simpleString("OK") : .error("ERR backup failed: \(failures.joined(separator: "; "))"))
            }
        }
    }
}
