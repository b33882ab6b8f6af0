import ArgumentParser
import PaxosCtlKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `paxosctl user add <users-file> <name> --role <role>`: manage the users file paxosd's
/// `--users-file` (or `usersFile` in the cluster configuration) reads.
struct UserCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage a users file (clients AUTH as its users; paxosd --users-file).",
        subcommands: [AddUser.self])
}

struct AddUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a user with a role and a salted password hash; creates the file (mode 0600) if missing.",
        discussion: """
            The password comes from --password, else the first line of standard input (prompted \
            for, without echo, on a terminal). Roles: read-only (GET, EXISTS, INFO, PING, ...), \
            read-write (adds SET, DEL), admin (adds BACKUP and commands that change the cluster). \
            paxosd refuses a users file without an admin. Restart the nodes to apply a change.

            Example: printf '%s\\n' "$ADMIN_PASSWORD" | paxosctl user add data/users.json admin --role admin
            """)

    @Argument(help: "The users file to create or change.")
    var file: String

    @Argument(help: "User name (letters, digits, '.', '_', '-', '@'); 'default' is the user of a one-argument AUTH.")
    var name: String

    @Option(help: ArgumentHelp("read-only, read-write or admin.", valueName: "role"))
    var role: String

    @Option(help: "The password (visible in the process list; prefer standard input).")
    var password: String?

    @Flag(help: "Replace the user if it exists (new role and password).")
    var replace = false

    func run() throws {
        let secret = try password ?? Self.readPassword()
        StandardStream.output.write(try UsersFileEditing.add(file: file, name: name, role: role, password: secret, replace: replace) + "\n")
    }

    private static func readPassword() throws(PaxosCtlError) -> String {
        if isatty(STDIN_FILENO) != 0, let typed = getpass("Password for the new user: ") {
            return String(cString: typed)
        }
        guard let line = readLine(strippingNewline: true) else { throw .usage("no password: give --password or one line on standard input") }
        return line
    }
}
