// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]
// Tests import whole frameworks for brevity, so they leave member import visibility off.
let testSwiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "cistern",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cistern", targets: ["cistern"]),
        .executable(name: "cistern-dev", targets: ["cistern-dev"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.9.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.30.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/vapor/async-kit.git", from: "1.19.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.1.0"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.32.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.0"),
    ],
    targets: [
        // Pure domain: entities, roles, policy, errors, sealing. Foundation and swift-crypto only.
        .target(
            name: "CisternCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto")
            ],
            swiftSettings: swiftSettings
        ),
        // The management API's request and response bodies, shared by the server and its clients.
        .target(
            name: "CisternWire",
            dependencies: ["CisternCore"],
            swiftSettings: swiftSettings
        ),
        // A client of the management API (the `cistern` commands other than serve and migrate):
        // the wire types over AsyncHTTPClient, and the profiles that keep a login.
        .target(
            name: "CisternClient",
            dependencies: [
                "CisternWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The web console: static HTML, CSS and ES modules, compiled into the binary.
        .target(
            name: "CisternConsole",
            resources: [
                .embedInCode("Resources/index.html"), .embedInCode("Resources/console.css"), .embedInCode("Resources/app.js"),
                .embedInCode("Resources/api.js"), .embedInCode("Resources/dom.js"), .embedInCode("Resources/logic.js"),
                .embedInCode("Resources/pages-auth.js"), .embedInCode("Resources/pages-overview.js"),
                .embedInCode("Resources/pages-buckets.js"), .embedInCode("Resources/pages-repositories.js"),
                .embedInCode("Resources/pages-people.js"), .embedInCode("Resources/actions.js"),
            ],
            swiftSettings: swiftSettings
        ),
        // Stores: protocols and their SQL implementation over SQLKit.
        .target(
            name: "CisternStore",
            dependencies: [
                "CisternCore",
                .product(name: "AsyncKit", package: "async-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // Provider clients (S3, GCS, Azure) over AsyncHTTPClient.
        .target(
            name: "CisternProviders",
            dependencies: [
                "CisternCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // What every server of the process shares: configuration, data directory and keys, the
        // database opened and migrated, the provider clients, and their release at shutdown.
        .target(
            name: "CisternBootstrap",
            dependencies: [
                "CisternCore",
                "CisternProviders",
                "CisternStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // The management API: feature folders (Accounts, Organization, Workspaces, Buckets,
        // Repositories), the HTTP plumbing they share, and the application builder (App).
        .target(
            name: "CisternAPI",
            dependencies: [
                "CisternBootstrap",
                "CisternConsole",
                "CisternCore",
                "CisternProviders",
                "CisternStore",
                "CisternWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.embedInCode("openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        // The S3 gateway (docs/gateway.md): its listener, signature verification, routing to members,
        // streaming to and from their providers.
        .target(
            name: "CisternGateway",
            dependencies: [
                "CisternBootstrap",
                "CisternCore",
                "CisternProviders",
                "CisternStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "cistern",
            dependencies: [
                "CisternBootstrap",
                "CisternGateway",
                "CisternAPI",
                "CisternClient",
                "CisternCore",
                "CisternWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // What only developers run: the benchmark dataset seeder. Not linked into `cistern`.
        .target(
            name: "CisternDevTools",
            dependencies: [
                "CisternBootstrap",
                "CisternAPI",
                "CisternCore",
                "CisternStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "cistern-dev",
            dependencies: [
                "CisternBootstrap",
                "CisternAPI",
                "CisternCore",
                "CisternDevTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Helpers the test targets share: the real S3 server the tests talk to, test databases,
        // and listeners that never answer.
        .target(
            name: "CisternTestSupport",
            dependencies: [
                "CisternCore",
                "CisternProviders",
                "CisternStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "CisternCoreTests",
            dependencies: ["CisternCore"],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "CisternStoreTests",
            dependencies: [
                "CisternCore",
                "CisternDevTools",
                "CisternStore",
                "CisternTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "CisternProvidersTests",
            dependencies: [
                "CisternCore",
                "CisternProviders",
                "CisternTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "CisternGatewayTests",
            dependencies: [
                "CisternBootstrap",
                "CisternCore",
                "CisternGateway",
                "CisternProviders",
                "CisternStore",
                "CisternTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "CisternAPITests",
            dependencies: [
                "CisternBootstrap",
                "CisternAPI",
                "CisternCore",
                "CisternProviders",
                "CisternStore",
                "CisternTestSupport",
                "CisternWire",
                "CisternClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: testSwiftSettings
        ),
    ]
)
