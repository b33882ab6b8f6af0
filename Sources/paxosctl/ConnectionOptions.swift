import ArgumentParser
import Foundation
import PaxosCtlKit

/// The options every networked command takes: where the cluster is and how long to wait.
struct ConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Comma-separated host:port client endpoints of the nodes (get, put, delete and shell fail over in this order).",
        discussion: "Default: the client addresses in --config, else 127.0.0.1:6381 to 6385.",
        valueName: "host:port,..."))
    var endpoints: String?

    @Option(help: ArgumentHelp(
        "Cluster file whose client addresses are the default endpoints.",
        discussion: "Default: in the current directory, the file tools/cluster generated for the smaller cluster it last started (data/launcher/cluster-N.json), else data/cluster.json, when it exists.",
        valueName: "path"))
    var config: String?

    @Option(help: ArgumentHelp("Seconds one command may take, failover included.", valueName: "seconds"))
    var timeout: Double = 10

    @Option(help: ArgumentHelp(
        "Connect with TLS and verify the nodes against this CA certificate (PEM), e.g. data/tls/ca.crt after tools/cluster up --tls.",
        valueName: "file"))
    var tlsCa: String?

    @Option(help: ArgumentHelp("User to AUTH as (default: PAXOS_USER, else the node's 'default' user when a password is given).", valueName: "name"))
    var user: String?

    @Option(help: ArgumentHelp(
        "Password to AUTH with; prefer the PAXOS_PASSWORD environment variable, which other users cannot see in the process list.",
        valueName: "password"))
    var password: String?

    func validate() throws {
        // Both parse now, so bad input fails before anything is sent, with the usage line and
        // the exit code of every other command-line error.
        do {
            _ = try resolvedNodes()
            _ = try clientSettings()
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The nodes to talk to: --endpoints, else the cluster file, else the shipped defaults.
    /// `includeSpares` adds the cluster file's spares (for `member`).
    func resolvedNodes(includeSpares: Bool = false) throws(PaxosCtlError) -> [NodeAddress] {
        if let endpoints {
            if config != nil { throw .usage("give --endpoints or --config, not both") }
            return try NodeAddress.parseList(endpoints)
        }
        return try ClusterFile.nodes(path: config, includeSpares: includeSpares)
    }

    func clientSettings() throws(PaxosCtlError) -> ClientSettings {
        var settings = try ClientSettings(timeoutSeconds: timeout, tlsCAFile: tlsCa)
        let environment = ProcessInfo.processInfo.environment
        settings.username = user ?? environment["PAXOS_USER"]
        settings.password = password ?? environment["PAXOS_PASSWORD"]
        if user != nil && settings.password == nil { throw .usage("--user needs a password: --password or PAXOS_PASSWORD") }
        return settings
    }
}
