import PaxosCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
    /// `BACKUP <name>`: with one group, a copy of the database at `<backup directory>/<name>`;
    /// with several, a directory `<backup directory>/<name>` holding `group-<g>.sqlite` for
    /// every group (each copy consistent on its own; groups are independent, so there is no
    /// cross-group point in time to keep). Answers the path written; `paxosd --restore` takes it.
    ///
    /// Never over anything that exists: the file, or the directory, is created exclusively, and
    /// a failed backup removes only what it created (`SQLiteLogStore.backup`).
    func backup(named name: String, respond: @escaping (RESPValue) -> Void) {
        let directory: String
        switch BackupDirectory(settings: settings).prepare() {
        case .success(let resolved): directory = resolved
        case .failure(let refusal): return respond(.error(.err, "BACKUP refused: \(refusal)"))
        }
        let target = (directory as NSString).appendingPathComponent(name)
        guard groups.count > 1 else {
            groups[0].backup(to: target) { error in
                respond(error.map { .error(.err, "BACKUP failed: \($0)") } ?? .bulkString(Array(target.utf8)))
            }
            return
        }
        // mkdir is the exclusive create for a directory: it fails on anything already there.
        guard mkdir(target, 0o700) == 0 else {
            let reason = errno == EEXIST ? "\(name) already exists in \(directory); a backup never overwrites anything"
                : "cannot create \(target): \(String(cString: strerror(errno)))"
            return respond(.error(.err, "BACKUP refused: \(reason)"))
        }
        var remaining = groups.count
        var failures: [String] = []
        var written: [String] = []
        for group in groups {
            let file = (target as NSString).appendingPathComponent(settings.placement(group: group.group).fileName)
            group.backup(to: file) { error in
                if let error { failures.append("group \(group.group): \(error)") } else { written.append(file) }
                remaining -= 1
                guard remaining == 0 else { return }
                guard !failures.isEmpty else { return respond(.bulkString(Array(target.utf8))) }
                // A directory missing some groups would only fail at --restore; remove what this
                // backup wrote (and nothing else: rmdir fails on a directory that is not empty).
                for file in written { unlink(file) }
                rmdir(target)
                respond(.error(.err, "BACKUP failed: \(failures.joined(separator: "; "))"))
            }
        }
    }
}
