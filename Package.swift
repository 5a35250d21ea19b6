// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "FinanceDashboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "finance", targets: ["finance"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.115.0"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.12.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.8.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.10.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.7.0"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-openapi-vapor.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.0"),
        .package(url: "https://github.com/vapor/jwt.git", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.20.0"),
    ],
    targets: [
        // Money, dates, enums and (later) the calculations and parsers: no Vapor, no database.
        .target(name: "FinanceCore"),

        // Types and server protocol generated from openapi.yaml, the API contract.
        .target(
            name: "FinanceAPI",
            dependencies: [
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            ],
            resources: [.copy("openapi.yaml"), .copy("asyncapi.yaml")],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),

        .target(
            name: "App",
            dependencies: [
                "FinanceCore",
                "FinanceAPI",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIVapor", package: "swift-openapi-vapor"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "JWT", package: "jwt"),
                .product(name: "Crypto", package: "swift-crypto"),
                "PlaidKit",
                "PlaidSimulator",
            ],
            // The web dashboard: HTML, CSS and ES modules served as they are, with no build step.
            resources: [.copy("Features/Dashboard/Public")]
        ),

        // A client for Plaid's API on AsyncHTTPClient: no Vapor, no database.
        .target(
            name: "PlaidKit",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // A Plaid-compatible server for loopback: deterministic institutions, items, transactions and
        // holdings, sandbox calls, injected faults and signed webhooks. For the tests and the demo.
        .target(
            name: "PlaidSimulator",
            dependencies: [
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        .executableTarget(name: "finance", dependencies: ["App"]),

        .testTarget(name: "FinanceCoreTests", dependencies: ["FinanceCore"]),
        .testTarget(
            name: "PlaidKitTests",
            dependencies: [
                "PlaidKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Vapor", package: "vapor"),
            ]
        ),
        .testTarget(
            name: "PlaidSimulatorTests",
            dependencies: [
                "PlaidSimulator",
                "PlaidKit",
                .product(name: "Vapor", package: "vapor"),
            ]
        ),
        .testTarget(
            name: "AppTests",
            dependencies: [
                "App",
                "PlaidKit",
                "PlaidSimulator",
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            // Read by the tests from their folder, not bundled.
            exclude: ["Fixtures/Schema"]
        ),
    ]
)
