// paxos-inspect: parse the command line, run the command, print, exit with its status.
// Nothing here can crash on bad input: ArgumentParser reports a bad command line, and every
// problem with a database comes back from InspectionCommands as a value.

import ArgumentParser
import PaxosInspectKit

import Foundation

/// Writes one line to stderr.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

let wantsJSON = CommandLine.arguments.dropFirst().contains("--json")
let parsed: any ParsableCommand
do {
    parsed = try PaxosInspect.parseAsRoot()
} catch {
    // --help and friends exit 0 through ArgumentParser; a bad command line is unusable input.
    guard PaxosInspect.exitCode(for: error) != .success else { PaxosInspect.exit(withError: error) }
    if wantsJSON {
        let message = PaxosInspect.message(for: error)
        print(InspectionCommands.usageError(CommandLine.arguments.dropFirst().first ?? "", message).json.rendered())
    }
    // ArgumentParser's full message names the problem and shows the usage of the command.
    printError(PaxosInspect.fullMessage(for: error))
    exit(InspectionExitStatus.unusableInput.rawValue)
}

guard let command = parsed as? any InspectSubcommand else {
    // `help <subcommand>`, `<subcommand> --help` or no subcommand at all: ArgumentParser's own
    // commands print the help and exit 0.
    do {
        var other = parsed
        try other.run()
        exit(0)
    } catch {
        PaxosInspect.exit(withError: error)
    }
}

let output = command.execute()
if command.output.json {
    print(output.json.rendered())
} else {
    print(output.text, terminator: "")
}
for note in output.notes { printError("paxos-inspect: \(note)") }
for error in output.errors { printError("paxos-inspect: \(error)") }
exit(output.status.rawValue)
