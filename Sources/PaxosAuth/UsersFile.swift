import Foundation

/// What a client may do once authenticated. Ordered: each role may do everything the ones
/// before it may.
public enum ClientRole: String, Codable, Hashable, Sendable, CaseIterable, Comparable {
    /// GET, EXISTS, INFO, PING, ECHO and the connection commands.
    case readOnly = "read-only"
    /// Adds writes: SET/PUT, DEL/DELETE.
    case readWrite = "read-write"
    /// Adds BACKUP and every command that changes the cluster.
    case admin

    private var rank: Int {
        switch self {
        case .readOnly: 0
        case .readWrite: 1
        case .admin: 2
        }
    }

    public static func < (lhs: ClientRole, rhs: ClientRole) -> Bool { lhs.rank < rhs.rank }
}

/// The clients a node accepts: a JSON file of users, each with a role and a salted password
/// hash (`PasswordHash`), written by `paxosctl user add` and read by paxosd at start-up.
///
/// ```json
/// { "users": [ { "name": "admin", "role": "admin", "password": "pbkdf2-sha256$10000$…$…" } ] }
/// ```
///
/// The file holds no passwords, only hashes, but a hash can be guessed at offline, and a file
/// others may write lets them add an admin. So, like ssh with `authorized_keys`, a node refuses a
/// users file that is group- or world-writable, and one without an admin (the cluster could not
/// be administered). A user named `default` is the one `AUTH <password>` (one argument) means,
/// as in Redis.
public struct UsersFile: Codable, Hashable, Sendable {
    public var users: [User]

    public struct User: Codable, Hashable, Sendable {
        public var name: String
        public var role: ClientRole
        public var password: PasswordHash

        public init(name: String, role: ClientRole, password: PasswordHash) {
            self.name = name
            self.role = role
            self.password = password
        }
    }

    /// The user `AUTH <password>` authenticates as.
    public static let defaultUserName = "default"
    static let maxNameBytes = 64

    public init(users: [User] = []) { self.users = users }

    public func user(named name: String) -> User? { users.first { $0.name == name } }

    /// Whether `name` is usable: 1 to 64 bytes of letters, digits, `.`, `_`, `-`, `@`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxNameBytes
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || Array("._-@".utf8).contains(byte)
            }
    }

    /// Adds `user`, or replaces the user of that name when `replace` is set.
    public mutating func add(_ user: User, replace: Bool) throws(UsersFileError) {
        guard Self.isValidName(user.name) else {
            throw UsersFileError("user name '\(user.name)' is not 1 to \(Self.maxNameBytes) letters, digits, '.', '_', '-' or '@'")
        }
        if let index = users.firstIndex(where: { $0.name == user.name }) {
            guard replace else { throw UsersFileError("user '\(user.name)' exists already; pass --replace to change its role or password") }
            users[index] = user
        } else {
            users.append(user)
        }
    }

    /// Names, duplicates and an admin: what `load` checks after parsing. - Parameter path:
    /// names the file in messages.
    public func validate(path: String, requireAdmin: Bool = true) throws(UsersFileError) {
        var names = Set<String>()
        for user in users {
            guard Self.isValidName(user.name) else { throw UsersFileError("users file \(path): user name '\(user.name)' is not valid") }
            guard names.insert(user.name).inserted else { throw UsersFileError("users file \(path): user '\(user.name)' is listed twice") }
        }
        guard !requireAdmin || users.contains(where: { $0.role == .admin }) else {
            throw UsersFileError("users file \(path) has no admin user; add one with `paxosctl user add \(path) <name> --role admin`")
        }
    }

    /// Reads and checks the file at `path`. Every refusal is one sentence naming the file.
    public static func load(path: String) throws(UsersFileError) -> UsersFile {
        let file = try loadForEditing(path: path)
        try file.validate(path: path)
        return file
    }

    /// Reads the file at `path` with every check of `load` but the admin one, so that
    /// `paxosctl user add` can build a file one user at a time.
    public static func loadForEditing(path: String) throws(UsersFileError) -> UsersFile {
        let attributes: [FileAttributeKey: Any]
        let data: Data
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw UsersFileError("users file \(path) cannot be read (\(error.localizedDescription)); create it with `paxosctl user add \(path) <name> --role admin`")
        }
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value, mode & 0o022 != 0 {
            throw UsersFileError("users file \(path) is writable by other users (mode \(String(mode & 0o777, radix: 8))); run `chmod 600 \(path)`")
        }
        let file: UsersFile
        do {
            file = try JSONDecoder().decode(UsersFile.self, from: data)
        } catch {
            throw UsersFileError("users file \(path) is not valid: \(Self.explain(error))")
        }
        try file.validate(path: path, requireAdmin: false)
        return file
    }

    /// Writes the file at `path` with mode 0600: a new file next to it, then a rename, so a
    /// node never reads a half-written file.
    public func write(path: String) throws(UsersFileError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let staging = path + ".writing-\(getpid())"
        do {
            let data = try encoder.encode(self) + Data("\n".utf8)
            guard FileManager.default.createFile(atPath: staging, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw UsersFileError("cannot create \(staging)")
            }
            guard rename(staging, path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(atPath: staging)
                throw UsersFileError("cannot write users file \(path): \(reason)")
            }
        } catch let error as UsersFileError {
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw UsersFileError("cannot write users file \(path): \(error.localizedDescription)")
        }
    }

    private static func explain(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing field '\(key.stringValue)'"
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context),
             DecodingError.valueNotFound(_, let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)"
        default: "\(error)"
        }
    }
}

extension PasswordHash: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why a users file cannot be used; one sentence that names the file and the fix.
public struct UsersFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
