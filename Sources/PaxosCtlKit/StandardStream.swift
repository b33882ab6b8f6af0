#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard output or error, written with `write(2)` and no buffering of our own.
///
/// Unbuffered on purpose: the shell interleaves prompts, answers and warnings across two streams,
/// and a test piping a script in reads them as they come. (The C `stdout` global is also not
/// usable from Swift 6 strict concurrency without an unsafe escape.)
package struct StandardStream: Sendable {
    package let descriptor: Int32

    package static let output = StandardStream(descriptor: 1)
    package static let error = StandardStream(descriptor: 2)

    /// Whether the stream is a terminal (prompts and history files only make sense then).
    package var isTerminal: Bool { isatty(descriptor) == 1 }

    package func write(_ text: String) {
        write(bytes: Array(text.utf8))
    }

    /// Writes every byte. A failed write ends this output and is not reported: the stream it
    /// would be reported on is the one that failed, or its reader went away (like `| head`).
    package func write(bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count, let base = buffer.baseAddress {
                let written = systemWrite(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// Whether a file descriptor is a terminal; stdin for the shell.
    package static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }
}

private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, bytes, count)
    #else
    Darwin.write(descriptor, bytes, count)
    #endif
}
