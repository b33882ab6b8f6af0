import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lines entered in a shell session, and, optionally, a file they are appended to.
///
/// Without a readline dependency there is no arrow-key recall; the file keeps what was typed
/// across sessions, like `~/.rediscli_history`, and `HISTORY` shows this session's lines.
/// Persisting is best-effort: a file that cannot be opened or written is reported once on
/// standard error and then left alone, and never stops the shell.
///
/// The file is created with mode 0600, since values typed into the shell may be private, and is
/// trimmed to its last `fileLinesMax` lines when a session opens it.
package final class ShellHistory {
    /// Lines of this session, oldest first.
    /// - Invariant: `entries.count <= sessionLinesMax` (older lines are dropped first).
    package private(set) var entries: [String] = []
    package static let sessionLinesMax = 1_000
    package static let fileLinesMax = 1_000
    private var file: UnsafeMutablePointer<FILE>?
    private let path: String?
    private let warn: (String) -> Void

    /// - Parameters:
    ///   - path: the file to append to, or nil to keep the history in memory only.
    ///   - warn: where the one warning about an unusable file goes.
    package init(path: String?, warn: @escaping (String) -> Void) {
        self.path = path
        self.warn = warn
        guard let path else { return }
        trim(path)
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0, let stream = fdopen(descriptor, "a") else {
            let reason = String(cString: strerror(errno))
            if descriptor >= 0 { close(descriptor) }
            warn("history file \(path) not used: \(reason)")
            return
        }
        file = stream
    }

    deinit {
        if let file { fclose(file) }
    }

    /// `~/.paxosctl_history`, or nil without a home directory.
    package static var defaultPath: String? {
        guard let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.paxosctl_history"
    }

    /// Records a line in the session and appends it to the file.
    package func add(_ line: String) {
        entries.append(line)
        if entries.count > Self.sessionLinesMax { entries.removeFirst(entries.count - Self.sessionLinesMax) }
        guard let file else { return }
        // One entry per line. Lines come from readLine and hold no newline; a caller passing one
        // anyway must not split an entry in two.
        let flat = line.replacingOccurrences(of: "\n", with: " ")
        if fputs(flat + "\n", file) < 0 || fflush(file) != 0 {
            warn("history file \(path ?? "?") not written any more: \(String(cString: strerror(errno)))")
            fclose(file)
            self.file = nil
        }
    }

    /// The numbered listing `HISTORY` prints.
    package var listing: String {
        let width = String(entries.count).count
        return entries.enumerated().map { index, line in
            String(repeating: " ", count: width - String(index + 1).count) + "\(index + 1)  \(line)"
        }.joined(separator: "\n")
    }

    /// Keeps the last `fileLinesMax` lines of an existing file, so it never grows without bound.
    private func trim(_ path: String) {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard lines.count > Self.fileLinesMax + 1 else { return }
        let kept = lines.suffix(Self.fileLinesMax + 1).joined(separator: [UInt8(ascii: "\n")])
        do {
            try Data(kept).write(to: URL(fileURLWithPath: path), options: .atomic)
            // The atomic write made a new file with default permissions; keep it private.
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        } catch {
            warn("history file \(path) not trimmed: \(error.localizedDescription)")
        }
    }
}
