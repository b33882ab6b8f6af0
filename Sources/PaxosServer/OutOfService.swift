import Foundation
import Logging
import PaxosCore
import PaxosStorage

/// Taking a node out of service when its storage fails, and keeping it out when its disk can no
/// longer be trusted.
///
/// Any storage error stops the node (fail-stop: a node that cannot write its promises must not
/// answer, and one whose rows fail their checksums must not serve them or keep leading). It logs
/// one line naming the group, the database file and the cause, then exits with status
/// `exitStatus`, which a supervisor can be told not to restart (systemd:
/// `RestartPreventExitStatus=74`).
///
/// A full disk or a read-only directory goes away when the operator fixes it, and the node then
/// restarts as it was. Damage does not: a row that fails its checksum, or a page SQLite finds
/// damaged, is found again on the first read after every restart, and the node would serve (and
/// lead) until it touched it. So on damage the node also writes `out-of-service` into its node
/// directory (durably, beside the databases), and refuses to start while that file is there,
/// printing it. The operator re-admits the replica with a fresh disk (`paxosctl member
/// replace`, README), which empties the directory, or deletes the file after repairing the
/// database by other means.
enum OutOfService {
    /// EX_IOERR: the node stopped on a storage failure.
    static let exitStatus: Int32 = 74

    /// The marker file of a node directory.
    static func markerPath(nodeDirectory: String) -> String {
        (nodeDirectory as NSString).appendingPathComponent("out-of-service")
    }

    /// Logs the failure as one line, records damage in the marker file, and exits the process.
    static func stop(replica: String, group: GroupID, error: LogStoreError, nodeDirectory: String, logger: Logger) -> Never {
        var line = "replica \(replica) is out of service: storage of group \(group) failed: \(error)"
        if error.isDamage {
            let marker = markerPath(nodeDirectory: nodeDirectory)
            let recorded = "\(ISO8601DateFormatter().string(from: Date())) \(line)\n"
            do {
                try DurableFile.save(recorded, to: marker)
                line += "; it will not start again on this disk (\(marker)): re-admit it with a fresh disk "
                    + "(paxosctl member replace, see README)"
            } catch {
                line += "; recording it in \(marker) failed too (\(error)): re-admit it with a fresh disk "
                    + "(paxosctl member replace, see README)"
            }
        }
        logger.critical("\(line)")
        exit(exitStatus)
    }

    /// Refuses to start a node whose directory holds the marker.
    static func refuseIfMarked(nodeDirectory: String) throws {
        let marker = markerPath(nodeDirectory: nodeDirectory)
        let text: String?
        do { text = try DurableFile.read(marker) } catch { throw NodeStartupError("\(error)") }
        guard let text else { return }
        throw NodeStartupError("this node was taken out of service and its disk cannot be trusted; \(marker) says: "
            + text.trimmingCharacters(in: .whitespacesAndNewlines)
            + " — re-admit the replica with a fresh disk (paxosctl member replace, see README), or delete \(marker) "
            + "once the database is repaired")
    }
}
