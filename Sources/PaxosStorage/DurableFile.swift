import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small side files of a node written so that a crash leaves the old contents or the new, never
/// a mix: a temporary file, fsync, rename over the old one, fsync of the directory (the node's
/// `client-ids` file, the durable marks and the `out-of-service` marker).
package enum DurableFile {
    /// Writes `text` to `path` durably.
    /// - Throws: a sentence naming the file and the system's reason (ENOSPC shows as "No space
    ///   left on device").
    package static func save(_ text: String, to path: String) throws(DurableFileError) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = path + ".tmp"
        let bytes = Array(text.utf8)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)") }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            guard result > 0 else {
                let error = failure("cannot write \(temporary)")
                close(descriptor)
                unlink(temporary)
                throw error
            }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            let error = failure("cannot fsync \(temporary)")
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = failure("cannot rename \(temporary) to \(path)")
            unlink(temporary)
            throw error
        }
        let directoryDescriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw failure("cannot open \(directory)") }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw failure("cannot fsync \(directory)") }
    }

    /// The contents of `path`, or nil if there is no such file.
    package static func read(_ path: String) throws(DurableFileError) -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw DurableFileError("cannot read \(path): \(error.localizedDescription)")
        }
    }

    private static func failure(_ what: String) -> DurableFileError {
        let code = errno
        let name = code == ENOSPC ? "ENOSPC, the disk is full: " : code == EROFS ? "EROFS, the file system is read-only: " : ""
        return DurableFileError("\(what): \(name)\(String(cString: strerror(code)))")
    }
}

package struct DurableFileError: Error, Hashable, Sendable, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}
