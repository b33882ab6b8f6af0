import Foundation
import PaxosAuth

/// `paxosctl user add`: adds a user to a users file (creating it, mode 0600, if missing), with a
/// freshly salted hash of the password; the file format and hashing are PaxosAuth's, the same
/// code paxosd reads it with.
package enum UsersFileEditing {
    /// Adds (or with `replace`, replaces) `name` with `role` and `password`; returns the line to
    /// print. A file that exists must load as paxosd would load it (an admin-less file cannot
    /// exist yet, so the first user of a new file need not be an admin, but paxosd will refuse
    /// the file until one is added).
    package static func add(file path: String, name: String, role roleName: String, password: String,
                            replace: Bool) throws(PaxosCtlError) -> String {
        guard let role = ClientRole(rawValue: roleName) else {
            throw .usage("--role must be one of \(ClientRole.allCases.map(\.rawValue).joined(separator: ", ")), got '\(roleName)'")
        }
        guard !password.isEmpty else { throw .usage("the password is empty") }
        var file = UsersFile()
        if FileManager.default.fileExists(atPath: path) {
            do { file = try UsersFile.loadForEditing(path: path) } catch { throw .failed(error.description) }
        }
        let existed = file.user(named: name) != nil
        do {
            try file.add(UsersFile.User(name: name, role: role, password: PasswordHash(password: password)), replace: replace)
            try file.write(path: path)
        } catch {
            throw .failed(error.description)
        }
        let note = file.users.contains { $0.role == .admin } ? "" : " (paxosd refuses this file until it has an admin user)"
        return "OK: user '\(name)' (\(role.rawValue)) \(existed ? "replaced in" : "added to") \(path)\(note)"
    }
}
