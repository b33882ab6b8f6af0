import Logging
import NIOCore
import PaxosStorage
import PaxosWire

extension Node {
    /// `BACKUP <path>`: a consistent copy of this node's database, written on the worker (its own
    /// connection, one read transaction), so neither the loop nor the storage thread waits for it.
    /// The copy is this node's applied state; on a follower that may be a little behind the leader.
    func backup(to path: String, respond: @escaping (RESPValue) -> Void) {
        // The reply closure belongs to the loop; it travels through the worker only to come back.
        let reply = NIOLoopBound(respond, eventLoop: loop)
        worker.backup(to: path) { [self] result in
            loop.execute { [self] in
                switch result {
                case .success(let summary):
                    logger.notice("backup written", metadata: [
                        "backup.path": "\(summary.path)", "paxos.slot": "\(summary.appliedThrough)", "storage.bytes": "\(summary.bytes)",
                    ])
                    reply.value(.simpleString("OK"))
                case .failure(let error):
                    logger.warning("backup failed", metadata: ["backup.path": "\(path)", "error": "\(error)"])
                    reply.value(.error("ERR backup failed: \(error)"))
                }
            }
        }
    }
}
