import Foundation

/// Finds an executable of this package the way `swift test` leaves it: next to the test bundle
/// (`swift build` puts products and the bundle in one directory), in a directory above it, or in
/// the package's `.build/debug`.
enum BuiltExecutable {
    static func find(_ name: String) throws -> URL {
        var candidates: [URL] = []
        // Linux: .build/<triple>/debug/PaxosKVPackageTests.xctest; macOS: …/debug/X.xctest/Contents/MacOS/X.
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" && !directory.path.isEmpty {
            candidates.append(directory.appendingPathComponent(name))
            directory.deleteLastPathComponent()
        }
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/\(name)"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw HarnessError(
                "\(name) not found next to \(CommandLine.arguments[0]) nor in \(packageRoot.path)/.build/debug; "
                    + "run `swift build --product \(name)`")
        }
        return found
    }
}
