// swift-tools-version:6.2
import PackageDescription

// Benchmarks live in their own package so their dependencies never reach the product.
let package = Package(
    name: "PortcullisBenchmarks",
    dependencies: [
        .package(path: "../"),
    ],
    targets: [
        .executableTarget(
            name: "CryptoBench",
            dependencies: [.product(name: "PortcullisCrypto", package: "main")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "HTTPBench",
            dependencies: [.product(name: "PortcullisHTTP", package: "main")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
