import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one directory BACKUP writes into (`--backup-dir`, by default `backups` next to the data
/// directory), and the checks that keep it from being a way into the node's own files.
///
/// - The directory MUST NOT be, or be inside, the directory of this node or of any member under
///   the same data directory (after resolving symlinks): a backup written there could be taken
///   for, or collide with, a node's database (a BACKUP onto another node's `group-0.sqlite` once
///   kept that node from restarting).
/// - It MUST NOT be writable by other users: BACKUP creates a file by name and SQLite then opens
///   that name, so a user who may rename entries in the directory could swap in a symlink in
///   between. (The file itself is created with `O_EXCL`, which never follows a symlink.)
///
/// Paxosd checks what it can at start-up; BACKUP checks again, because the directory may be
/// created, moved or replaced by a symlink while the node runs.
struct BackupDirectory {
    let path: String
    /// Directories BACKUP must stay out of: `<data directory>/<id>` for every member.
    let nodeDirectories: [String]

    init(settings: NodeSettings) {
        path = URL(fileURLWithPath: settings.backupDirectory).standardizedFileURL.path
        let dataDirectory = (settings.nodeDirectory as NSString).deletingLastPathComponent
        var directories = [settings.nodeDirectory]
        for member in settings.cluster.members where member != settings.id {
            directories.append((dataDirectory as NSString).appendingPathComponent("\(member)"))
        }
        nodeDirectories = directories
    }

    /// Refuses, before the node opens anything, a backup directory inside a node's directory.
    func checkAtStartup() throws(NodeStartupError) {
        if let refusal = refusalInsideNodeDirectory(Self.resolve(path)) {
            throw NodeStartupError("--backup-dir \(path): \(refusal); choose a directory outside the data directory (the default is <data directory>/../backups)")
        }
    }

    /// Creates the directory (mode 0700) if needed and returns its resolved path, or says why
    /// BACKUP may not write there.
    func prepare() -> Result<String, BackupRefusal> {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            return .failure(BackupRefusal("cannot create the backup directory \(path): \(error.localizedDescription)"))
        }
        let resolved = Self.resolve(path)
        if let refusal = refusalInsideNodeDirectory(resolved) {
            return .failure(BackupRefusal("the backup directory \(path) \(refusal)"))
        }
        var status = stat()
        guard stat(resolved, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
            return .failure(BackupRefusal("the backup directory \(path) is not a directory"))
        }
        if status.st_mode & 0o022 != 0 {
            return .failure(BackupRefusal("the backup directory \(path) is writable by other users (mode \(String(status.st_mode & 0o777, radix: 8))); run `chmod go-w \(path)`"))
        }
        return .success(resolved)
    }

    private func refusalInsideNodeDirectory(_ resolved: String) -> String? {
        for directory in nodeDirectories {
            let node = Self.resolve(directory)
            if Self.isSameOrInside(resolved, node) { return "is, or is inside, the node directory \(directory)" }
        }
        return nil
    }

    static func isSameOrInside(_ path: String, _ directory: String) -> Bool {
        path == directory || path.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
    }

    /// `realpath` of the longest existing prefix of `path`, with the rest appended: symlinks
    /// resolved as far as the file system has them.
    static func resolve(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var head = absolute
        var tail: [String] = []
        while true {
            if let real = realpath(head, nil) {
                defer { free(real) }
                let base = String(cString: real)
                return tail.reversed().reduce(base) { ($0 as NSString).appendingPathComponent($1) }
            }
            guard head != "/", !head.isEmpty else { return absolute }
            tail.append((head as NSString).lastPathComponent)
            head = (head as NSString).deletingLastPathComponent
        }
    }
}

/// Why BACKUP refused or failed; rendered as `-ERR`.
struct BackupRefusal: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
