// swift-tools-version:6.2
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which differs between checkouts (CI clones
// into another folder), so the product reference is computed rather than spelled out.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
    .lowercased()

// libFuzzer targets, kept out of the product package. Build and run with FuzzTesting/run.
let package = Package(
    name: "PortcullisFuzzTesting",
    dependencies: [.package(path: "../")],
    targets: [
        .executableTarget(
            name: "FuzzHTTPParser",
            dependencies: [.product(name: "PortcullisHTTP", package: root)]
        ),
        .executableTarget(
            name: "FuzzWebAuthn",
            dependencies: [.product(name: "PortcullisCrypto", package: root)]
        ),
    ],
    swiftLanguageModes: [.v6]
)
