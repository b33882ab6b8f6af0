import Foundation
import PaxosStorage
#if canImport(Glibc)
import Glibc
#endif

/// The start-up check that the disk holding the node directory has room: with a full disk the
/// node would come up, say it is ready, and stop at its first write. Free space is what an
/// unprivileged process may use (`f_bavail`), measured on the directory or, before it exists,
/// on its nearest existing parent.
enum DiskRoom {
    static func check(directory: String, minimumFreeBytes: Int64) throws(NodeStartupError) {
        guard minimumFreeBytes > 0 else { return }
        var probe = directory
        while !FileManager.default.fileExists(atPath: probe), probe != "/", !probe.isEmpty {
            probe = (probe as NSString).deletingLastPathComponent
        }
        if probe.isEmpty { probe = "." }
        var stats = statvfs()
        guard statvfs(probe, &stats) == 0 else {
            throw NodeStartupError("cannot read the free space of \(probe): \(String(cString: strerror(errno)))")
        }
        let free = Int64(stats.f_bavail) * Int64(stats.f_frsize)
        guard free >= minimumFreeBytes else {
            throw NodeStartupError("the disk holding \(directory) has \(free >> 20) MiB free, less than the \(minimumFreeBytes >> 20) MiB --min-free-mib asks for; free space on it (a full disk stops the node at its first write), or lower --min-free-mib")
        }
    }

    /// The start-up check that the node directory (created if missing) takes a durable write: a
    /// read-only mount or directory would otherwise let the node say it is ready and stop at its
    /// first write. Writes, fsyncs and removes a probe file, naming EROFS or ENOSPC on failure.
    static func checkWritable(directory: String) throws(NodeStartupError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw NodeStartupError("cannot create the node directory \(directory): \(error.localizedDescription)")
        }
        let probe = (directory as NSString).appendingPathComponent(".write-probe")
        do { try DurableFile.save("paxosd start-up probe\n", to: probe) } catch {
            throw NodeStartupError("the node directory \(directory) does not take writes (\(error)); make it writable "
                + "(is its file system mounted read-only, or full?), then restart the node")
        }
        unlink(probe)
    }
}
