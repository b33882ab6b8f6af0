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
        // CRC-32C with the CPU's instruction, for PaxosCore's CRC32C (pure computation, in C
        // only because Swift cannot name the instruction).
        .target(name: "CCRC32C"),
        // The pure protocol: no I/O, no clocks, no global randomness.
        .target(
            name: "PaxosCore",
            dependencies: ["CCRC32C", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // The server's request decisions (routing, deadlines, batching, failure codes): pure like
        // the core, driven by paxosd's GroupNode and by the simulator alike.
        .target(
            name: "PaxosShell",
            dependencies: ["PaxosCore"],
            swiftSettings: strictSettings
        ),
        // Deterministic simulator and checkers, shipped as a module so other test suites reuse it.
        .target(
            name: "PaxosTestKit",
            dependencies: ["PaxosCore", "PaxosShell", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "paxos-sim",
            dependencies: [
                "PaxosTestKit", "PaxosCore", "PaxosShell",
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
            dependencies: ["PaxosCore", "PaxosShell", "PaxosTestKit"],
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

// MARK: storage (issue 3)
// PaxosStorage: the node's SQLite database (system libsqlite3 through CSQLite). The only module
// that imports SQLite.
package.targets += [
    .systemLibrary(
        name: "CSQLite",
        pkgConfig: "sqlite3",
        providers: [.apt(["libsqlite3-dev"])]
    ),
    .target(
        name: "PaxosStorage",
        dependencies: ["PaxosCore", "CSQLite"],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "PaxosStorageTests",
        dependencies: ["PaxosStorage", "PaxosCore", "PaxosTestKit"],
        swiftSettings: strictSettings
    ),
]
package.products += [
    .library(name: "PaxosStorage", targets: ["PaxosStorage"]),
]
package.targets += [
    // Test helper: writes accepted entries in a loop so a test can SIGKILL it mid-write.
    .executableTarget(
        name: "paxos-crash-writer",
        // PaxosTestKit for CrashSchedule, which the crash test replays: its only dependencies,
        // PaxosCore and swift-log, are already this writer's, so it adds no package.
        dependencies: ["PaxosStorage", "PaxosCore", "PaxosTestKit"],
        swiftSettings: strictSettings
    ),
    // Micro-benchmark of the acceptor write path against a raw write+fdatasync loop.
    .executableTarget(
        name: "paxos-storage-bench",
        dependencies: [
            "PaxosStorage", "PaxosCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        swiftSettings: strictSettings
    ),
]

// MARK: node (issue 4)
// PaxosServer: one loop owning the Replica, SwiftNIO listeners and peer links, storage thread.
// paxosd: argument parsing and wiring only.
package.dependencies += [
    .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
]
package.targets += [
    // glibc's malloc.h (malloc_trim); no library to link, only the header.
    .systemLibrary(name: "CMalloc"),
    .target(
        name: "PaxosServer",
        dependencies: [
            "PaxosCore", "PaxosShell", "PaxosStorage", "PaxosWire", "CMalloc",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: strictSettings
    ),
    .executableTarget(
        name: "paxosd",
        dependencies: [
            "PaxosServer", "PaxosCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ],
        swiftSettings: strictSettings
    ),
]
package.products += [
    .executable(name: "paxosd", targets: ["paxosd"]),
]

// MARK: client and process tests (issues 4 and 5)
package.targets += [
    // A small blocking RESP client with endpoint failover, used by paxosctl, the bench and tests.
    .target(
        name: "PaxosClient",
        dependencies: ["PaxosWire", "PaxosCore", .product(name: "NIOCore", package: "swift-nio")],
        swiftSettings: strictSettings
    ),
    // Starts real paxosd processes on loopback: elections, kill -9, catch-up, no acked write lost.
    .testTarget(
        name: "PaxosProcessTests",
        dependencies: ["PaxosClient", "PaxosCore", "PaxosTestKit", "PaxosWire"],
        swiftSettings: strictSettings
    ),
]
package.products += [
    .library(name: "PaxosClient", targets: ["PaxosClient"]),
]

// MARK: inspection (issue 6)
// PaxosInspectKit: what paxos-inspect does (the commands, their checks, text, JSON and exit
// status), as a library so it is unit-tested. It reads databases only through PaxosStorage's
// read-only `InspectionReader`, so SQLite stays inside PaxosStorage.
// paxos-inspect: argument parsing and printing only.
package.targets += [
    .target(
        name: "PaxosInspectKit",
        dependencies: ["PaxosStorage", "PaxosCore"],
        swiftSettings: strictSettings
    ),
    // Offline, read-only reader of node databases: summary, log, kv, diff, verify.
    .executableTarget(
        name: "paxos-inspect",
        dependencies: [
            "PaxosInspectKit", "PaxosStorage", "PaxosCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "PaxosInspectTests",
        dependencies: ["PaxosInspectKit", "PaxosStorage", "PaxosCore", "PaxosTestKit"],
        swiftSettings: strictSettings
    ),
]
package.products += [
    .executable(name: "paxos-inspect", targets: ["paxos-inspect"]),
]

// MARK: paxosctl (issue 5 item 2, issue 8 item 1)
// PaxosCtlKit: what paxosctl does (shell, status, demo, bench), as a library so it is
// unit-tested. paxosctl: argument parsing and wiring only.
package.dependencies += [
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.1.0"),
]
package.targets += [
    .target(
        name: "PaxosCtlKit",
        dependencies: ["PaxosClient", "PaxosCore", "PaxosWire", .product(name: "Histogram", package: "hdrhistogram-swift")],
        swiftSettings: strictSettings
    ),
    .executableTarget(
        name: "paxosctl",
        dependencies: [
            "PaxosCtlKit", "PaxosClient", "PaxosWire",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "PaxosCtlKitTests",
        dependencies: [
            "PaxosCtlKit", "PaxosClient", "PaxosCore", "PaxosWire", .product(name: "Histogram", package: "hdrhistogram-swift"),
        ],
        swiftSettings: strictSettings
    ),
]
package.products += [
    .executable(name: "paxosctl", targets: ["paxosctl"]),
]

// MARK: security
// PaxosAuth: who may talk to a node. The cluster secret and the peer handshake's HMAC proofs,
// the client users file and its salted password hashes. Built on swift-crypto (HMAC-SHA-256,
// PBKDF2 in _CryptoExtras); never hand-rolled crypto. PaxosServer verifies, PaxosCtlKit writes
// users files, so the formats live in one module both import.
// PaxosServerTests: the server's handlers and pure pieces (handshake, ACL), without processes.
package.dependencies += [
    .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
]
package.targets += [
    .target(
        name: "PaxosAuth",
        dependencies: [
            "PaxosCore",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "PaxosServerTests",
        dependencies: [
            "PaxosServer", "PaxosShell", "PaxosAuth", "PaxosWire", "PaxosCore", "PaxosStorage",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            // Metrics exposition tests render NodeMetrics into a registry of their own.
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ],
        swiftSettings: strictSettings
    ),
]
for name in ["PaxosServer", "PaxosCtlKit", "paxosd", "PaxosProcessTests"] {
    package.targets.first(where: { $0.name == name })?.dependencies.append("PaxosAuth")
}
// SHA-1 of the Lua scripts PaxosKV recognises (KnownScripts.swift: SCRIPT LOAD, EVALSHA).
package.targets.first(where: { $0.name == "PaxosServer" })?.dependencies.append(.product(name: "Crypto", package: "swift-crypto"))

// MARK: TLS
// swift-nio-ssl: optional TLS on the client port and the peer port (mutual TLS between peers),
// and in PaxosClient, whose TLS connections run on NIO (a blocking façade over a channel).
package.dependencies += [
    .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
]
for name in ["PaxosServer", "PaxosClient"] {
    package.targets.first(where: { $0.name == name })?.dependencies += [
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOTLS", package: "swift-nio"),
    ]
}
