import ArgumentParser
import Foundation
import PaxosCtlKit

/// `paxosctl cluster-file`: what `tools/cluster` reads from and writes for a cluster file, so the
/// launcher needs neither python3 nor jq. Reads and writes files only; talks to no node.
struct ClusterFileCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster-file",
        abstract: "Read a cluster file's replicas, or write the file a smaller cluster starts from (used by tools/cluster).",
        subcommands: [ListReplicas.self, SizeClusterFile.self])
}

/// `paxosctl cluster-file replicas [FILE]`: one line per replica, for a shell's `read`.
struct ListReplicas: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replicas",
        abstract: "Print every replica of a cluster file, spares included: id host client-port peer-port metrics-port boot|spare.")

    @Argument(help: "The cluster file.")
    var file = ClusterFile.defaultPath

    func run() throws {
        let replicas = try ClusterFile.launcherReplicas(try ClusterFile.read(file), source: file)
        StandardStream.output.write(replicas.map(\.line).joined(separator: "\n") + "\n")
    }
}

/// `paxosctl cluster-file sized FILE N --output OUT`: the file `tools/cluster up N` starts from.
struct SizeClusterFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sized",
        abstract: "Write the cluster file of an N-node cluster: the first N bootstrap replicas stay members, the rest become spares.",
        discussion: "Every other key of FILE is kept. Example: paxosctl cluster-file sized data/cluster.json 3 --secret-file /abs/cluster.secret --output data/launcher/cluster-3.json")

    @Argument(help: "The cluster file to start from.")
    var file: String

    @Argument(help: "How many bootstrap members the cluster has.")
    var size: Int

    @Option(help: "Set secretFile to this path (absolute, so the written file may live anywhere).")
    var secretFile: String?

    @Option(help: "Where to write the new file (replaced atomically); default: standard output.")
    var output: String?

    func run() throws {
        let sized = try ClusterFile.sized(try ClusterFile.read(file), source: file, size: size, secretFile: secretFile)
        guard let output else {
            StandardStream.output.write(String(decoding: sized, as: UTF8.self))
            return
        }
        do { try sized.write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
            throw PaxosCtlError.failed("cannot write \(output): \(error.localizedDescription)")
        }
    }
}
