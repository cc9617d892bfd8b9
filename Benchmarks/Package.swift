// swift-tools-version:6.2
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which differs between checkouts (CI clones
// into another folder), so the product reference is computed rather than spelled out.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
    .lowercased()

// Benchmarks live in their own package so their dependencies never reach the product.
let package = Package(
    name: "PortcullisBenchmarks",
    dependencies: [
        .package(path: "../")
    ],
    targets: [
        .executableTarget(
            name: "CryptoBench",
            dependencies: [
                .product(name: "PortcullisCrypto", package: root), .product(name: "PortcullisOAuth", package: root),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "StoreBench",
            dependencies: [
                .product(name: "PortcullisCore", package: root), .product(name: "PortcullisStore", package: root),
            ]
        ),
        .executableTarget(
            name: "HTTPBench",
            dependencies: [.product(name: "PortcullisHTTP", package: root)]
        ),
    ],
    swiftLanguageModes: [.v6]
)
