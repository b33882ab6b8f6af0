import ArgumentParser
import PaxosCtlKit

/// `paxosctl status`: the `tools/cluster status` table, over the network.
struct ShowStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "One line per node (per node and group with --groups): id, endpoint, reachable, role, leader, ballot, chosen frontier, applied slot.",
        discussion: """
            Asks every endpoint for INFO directly (no failover, in parallel; a node that does not \
            answer within 2 s or --timeout is shown as unreachable). Exits 1 when no node answers.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print JSON: {\"nodes\": [{\"id\", \"endpoint\", \"reachable\", \"role\", \"leader\", \"ballot\", \"chosen_frontier\", \"applied_slot\", \"error\", \"groups\": [{\"group\", \"role\", \"leader\", \"preferred_leader\", \"ballot\", \"chosen_frontier\", \"applied_slot\"}], \"info\": the node's whole report (INFO's fields, numbers as numbers) or null}], \"reachable\", \"total\", \"leader\", \"group_leaders\"}.")
    var json = false

    func run() throws {
        let report = StatusReport.probe(try connection.resolvedNodes(), configuration: try connection.clientSettings().probe)
        StandardStream.output.write((json ? report.json : report.table) + "\n")
        if report.reachableCount == 0 {
            throw PaxosCtlError.failed("no node answered")
        }
    }
}
