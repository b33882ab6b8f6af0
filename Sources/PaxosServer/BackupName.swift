public import PaxosCore

/// The argument of `BACKUP`: a bare file name inside the node's backup directory.
///
/// A client names a backup; it never picks where it goes. With a path, BACKUP was a "write a
/// file holding client-chosen bytes anywhere paxosd may write" primitive (an SSH key stored as a
/// value, backed up to `~/.ssh/authorized_keys`, is the classic Redis attack), and could
/// overwrite another node's database. So the name is 1 to 128 bytes of letters, digits, `.`,
/// `_` and `-`, and does not start with a dot: no `/`, no `..`, no NUL, no hidden files, nothing
/// a shell or a log line would misread.
public enum BackupName {
    public static let maxBytes = 128

    /// The name as a string, or a RESP error saying what is wrong with it.
    public static func validate(_ bytes: Bytes) throws(ClientCommandError) -> String {
        let example = "e.g. BACKUP node1-2026-01-31.sqlite"
        guard !bytes.isEmpty, bytes.count <= maxBytes else {
            throw ClientCommandError("ERR BACKUP needs a file name of 1 to \(maxBytes) bytes, \(example)")
        }
        guard !bytes.contains(UInt8(ascii: "/")), !bytes.contains(0) else {
            throw ClientCommandError("ERR BACKUP takes a bare file name, not a path; the node writes it into its backup directory (\(example))")
        }
        guard bytes[0] != UInt8(ascii: "."), bytes.allSatisfy(isAllowed) else {
            throw ClientCommandError("ERR BACKUP file name may hold only letters, digits, '.', '_' and '-', and may not start with '.' (\(example))")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
