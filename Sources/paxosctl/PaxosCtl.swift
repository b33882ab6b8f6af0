import ArgumentParser
import PaxosCtlKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `paxosctl`: the operator's client for a PaxosKV cluster. Argument parsing and wiring only;
/// what the commands do lives in PaxosCtlKit.
///
/// Exit codes: 0 success (a missing key is an answer, `(nil)`), 1 a command that failed,
/// 2 unusable input. ArgumentParser's own code for a bad command line is 64 (`EX_USAGE`);
/// `main` maps it to 2 so every kind of unusable input ends the same way.
@main
struct PaxosCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paxosctl",
        abstract: "Talk to a PaxosKV cluster: read and write keys, a shell, cluster status, a demo, a benchmark.",
        discussion: """
            Every command reaches the cluster through --endpoints (default: the client addresses \
            in ./data/cluster.json, else 127.0.0.1:6381-6385). Any node serves any request; \
            get/put/delete and the shell fail over to the next endpoint when one is down.

            Examples:
              paxosctl put greeting hello
              paxosctl get greeting --endpoints 127.0.0.1:6383
              paxosctl status
              echo 'GET greeting' | paxosctl shell

            Exit codes: 0 success (a missing key prints (nil) and succeeds), 1 the command \
            failed, 2 unusable input.
            """,
        subcommands: [
            GetKey.self, PutKey.self, DeleteKey.self, IncrementKey.self, CompareAndSet.self, GetRevision.self, ExpireKey.self, TimeToLive.self, ScanKeys.self, WatchChanges.self, RunShell.self, ShowStatus.self, RunDemo.self, RunBench.self,
            SnapshotCommands.self, UserCommands.self, MemberCommands.self, ClusterFileCommands.self,
        ])

    static func main() {
        let code: Int32
        do {
            var command = try parseAsRoot()
            try command.run()
            code = 0
        } catch let error as PaxosCtlError {
            StandardStream.error.write("paxosctl: \(error)\n")
            code = error.exitCode
        } catch {
            code = report(error)
        }
        #if canImport(Glibc)
        Glibc.exit(code)
        #else
        Darwin.exit(code)
        #endif
    }

    /// Prints an ArgumentParser outcome (help, a usage error, an ExitCode) and returns the exit code.
    private static func report(_ error: any Error) -> Int32 {
        let exitCode = exitCode(for: error)
        let message = fullMessage(for: error)
        if exitCode == .success {
            if !message.isEmpty { StandardStream.output.write(message + "\n") }
            return 0
        }
        if !message.isEmpty { StandardStream.error.write(message + "\n") }
        return exitCode == .validationFailure ? 2 : exitCode.rawValue
    }
}
