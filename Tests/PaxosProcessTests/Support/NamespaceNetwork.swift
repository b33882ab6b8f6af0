import Foundation
import Testing

/// A private network for one test: one Linux network namespace per node, each joined by a veth
/// pair to a bridge in the root namespace, where the test process (the clients) lives.
///
/// ```
///   root namespace: bridge <tag>br 10.77.S.254/24 ── <tag>h1 ─┬─ <tag>n1 10.77.S.1  (namespace <tag>-1)
///                                                  ── <tag>h2 ─┼─ <tag>n2 10.77.S.2  (namespace <tag>-2)
///                                                  ── …
/// ```
///
/// **Cuts.** `cut(a, b)` points each node's neighbour entry for the other at an unused MAC
/// (`ip neigh replace … lladdr 02:00:00:00:00:01 nud permanent`): their packets to each other go
/// nowhere, silently, as on a real partition (no RST, no ICMP), while clients in the root
/// namespace still reach both. `heal(a, b)` deletes the entries and ARP finds the real ones.
/// (tc netem, iptables and nft are not available on the machines this runs on.)
///
/// **Cleanup.** Every name starts with a random tag (`px` + 6 hex digits), so parallel runs never
/// collide and cleanup can go by name: `teardown()` deletes the namespaces (which takes their veth
/// ends along) and the bridge and root-side veths, and `cleanupScript` does the same from the
/// cluster's watchdog shell if the test process dies.
///
/// **Privileges.** Creating namespaces needs root and iproute2. Without them `init` throws a
/// `HarnessError` that says so: a partition test on such a machine fails loudly, it never passes
/// by doing nothing.
final class NamespaceNetwork {
    let tag: String
    let size: Int
    /// The third octet of 10.77.S.0/24, chosen so that no address on this machine is in it.
    let subnet: Int
    private var cuts: Set<[Int]> = []
    private var isTornDown = false

    static let ipPath = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    /// An address no node has: cut links send their frames here.
    static let unusedMAC = "02:00:00:00:00:01"

    var bridge: String { "\(tag)br" }
    func namespace(_ id: Int) -> String { "\(tag)-\(id)" }
    func hostSide(_ id: Int) -> String { "\(tag)h\(id)" }
    func nodeSide(_ id: Int) -> String { "\(tag)n\(id)" }
    func address(_ id: Int) -> String { "10.77.\(subnet).\(id)" }

    /// Builds the namespaces, veths and bridge for nodes 1...size.
    /// - Throws: `HarnessError` naming what is missing when the machine cannot do it.
    init(size: Int) throws {
        precondition((1...250).contains(size), "a namespace network holds 1...250 nodes")
        guard Self.ipPath != nil else {
            throw HarnessError("partition tests need iproute2's `ip` (apt-get install iproute2); none found in /usr/sbin, /sbin, /usr/bin, /bin")
        }
        guard geteuid() == 0 else {
            throw HarnessError("partition tests need root (they create network namespaces and veth pairs); run them as root, e.g. `sudo swift test --filter Partition`")
        }
        self.size = size
        tag = "px" + String(format: "%06x", UInt32.random(in: 0...0xFF_FFFF))
        subnet = try Self.freeSubnet()
        do {
            try build()
        } catch {
            teardown()
            throw error
        }
    }

    deinit { teardown() }

    private func build() throws {
        try Self.ip(["link", "add", bridge, "type", "bridge"])
        try Self.ip(["addr", "add", "10.77.\(subnet).254/24", "dev", bridge])
        try Self.ip(["link", "set", bridge, "up"])
        for id in 1...size {
            let ns = namespace(id)
            try Self.ip(["netns", "add", ns])
            try Self.ip(["link", "add", hostSide(id), "type", "veth", "peer", "name", nodeSide(id), "netns", ns])
            try Self.ip(["link", "set", hostSide(id), "master", bridge, "up"])
            try Self.ip(["-n", ns, "addr", "add", "\(address(id))/24", "dev", nodeSide(id)])
            try Self.ip(["-n", ns, "link", "set", nodeSide(id), "up"])
            try Self.ip(["-n", ns, "link", "set", "lo", "up"])
        }
    }

    /// The command line that runs `program` inside node `id`'s namespace (`ip netns exec` execs
    /// it, so the pid is the program's own).
    func launch(_ id: Int, program: URL, arguments: [String]) -> (URL, [String]) {
        (URL(fileURLWithPath: Self.ipPath!), ["netns", "exec", namespace(id), program.path] + arguments)
    }

    // MARK: Cuts

    /// Silently drops everything between nodes `a` and `b`, both ways.
    func cut(_ a: Int, _ b: Int) throws {
        for (from, to) in [(a, b), (b, a)] {
            try Self.ip(["-n", namespace(from), "neigh", "replace", address(to), "lladdr", Self.unusedMAC,
                         "nud", "permanent", "dev", nodeSide(from)])
        }
        cuts.insert([a, b].sorted())
    }

    /// Undoes `cut(a, b)`.
    func heal(_ a: Int, _ b: Int) throws {
        for (from, to) in [(a, b), (b, a)] {
            try Self.ip(["-n", namespace(from), "neigh", "del", address(to), "dev", nodeSide(from)])
        }
        cuts.remove([a, b].sorted())
    }

    /// Cuts node `id` off from every other node (clients in the root namespace still reach it).
    func isolate(_ id: Int) throws {
        for other in 1...size where other != id && !cuts.contains([id, other].sorted()) { try cut(id, other) }
    }

    /// Heals every cut.
    func healAll() throws {
        for pair in cuts.sorted(by: { $0.lexicographicallyPrecedes($1) }) { try heal(pair[0], pair[1]) }
    }

    // MARK: Cleanup

    /// Shell lines that delete everything this network made, by name; for the watchdog.
    var cleanupScript: String {
        let ip = Self.ipPath ?? "ip"
        let namespaces = (1...size).map { "\(ip) netns del \(namespace($0)) 2>/dev/null" }
        let links = (1...size).map { "\(ip) link del \(hostSide($0)) 2>/dev/null" }
        return (namespaces + links + ["\(ip) link del \(bridge) 2>/dev/null", "true"]).joined(separator: "\n")
    }

    /// Deletes every namespace and link this network made, checks that none is left, and records
    /// an issue if one is. Idempotent.
    func teardown() {
        guard !isTornDown else { return }
        isTornDown = true
        for id in 1...size {
            _ = try? Self.run(["netns", "del", namespace(id)])
            _ = try? Self.run(["link", "del", hostSide(id)])
        }
        _ = try? Self.run(["link", "del", bridge])
        let links = (try? Self.run(["-o", "link", "show"]))?.output ?? ""
        let namespaces = (try? Self.run(["netns", "list"]))?.output ?? ""
        let left = (links + namespaces).split(separator: "\n").filter { $0.contains(tag) }
        if !left.isEmpty { Issue.record("namespace network \(tag) left behind: \(left.joined(separator: "; "))") }
    }

    // MARK: Running ip

    /// A /24 under 10.77/16 that no interface on this machine has an address in.
    private static func freeSubnet() throws -> Int {
        let addresses = try run(["-o", "-4", "addr", "show"]).output
        for _ in 0..<100 {
            let candidate = Int.random(in: 1...250)
            if !addresses.contains("10.77.\(candidate).") { return candidate }
        }
        throw HarnessError("no free 10.77.x.0/24 subnet for a namespace network after 100 tries")
    }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> String {
        let result = try run(arguments)
        guard result.status == 0 else {
            throw HarnessError("ip \(arguments.joined(separator: " ")) failed (exit \(result.status)): \(result.output)")
        }
        return result.output
    }

    private static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        guard let ipPath else { throw HarnessError("iproute2's `ip` is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ipPath)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
