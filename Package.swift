// swift-tools-version: 6.1
import PackageDescription

// Every target is Swift 6 language mode with the upcoming features STYLE.md §7 asks for.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "PaxosKV",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PaxosCore", targets: ["PaxosCore"]),
        .library(name: "PaxosTestKit", targets: ["PaxosTestKit"]),
        .executable(name: "paxos-sim", targets: ["paxos-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
    ],
    targets: [
        // The pure protocol: no I/O, no clocks, no global randomness.
        .target(
            name: "PaxosCore",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // Deterministic simulator and checkers, shipped as a module so other test suites reuse it.
        .target(
            name: "PaxosTestKit",
            dependencies: ["PaxosCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "paxos-sim",
            dependencies: [
                "PaxosTestKit", "PaxosCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PaxosCoreTests",
            dependencies: ["PaxosCore", "PaxosTestKit", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PaxosTestKitTests",
            dependencies: ["PaxosCore", "PaxosTestKit"],
            swiftSettings: strictSettings
        ),
    ]
)

// MARK: wire (issue 4)
// PaxosWire: bytes <-> values for peer frames and RESP. Kept in one block so a merge is easy.
package.dependencies += [
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
]
package.products += [
    .library(name: "PaxosWire", targets: ["PaxosWire"]),
]
package.targets += [
    .target(
        name: "PaxosWire",
        dependencies: ["PaxosCore", .product(name: "NIOCore", package: "swift-nio")],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "PaxosWireTests",
        dependencies: [
            "PaxosWire", "PaxosCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
        ],
        swiftSettings: strictSettings
    ),
]
