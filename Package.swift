// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "zcbench",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "zcbench", targets: ["zcbench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // libkmod through pkg-config: reads modinfo (vermagic) from a built .ko.
        .systemLibrary(
            name: "CKmod",
            pkgConfig: "libkmod",
            providers: [.apt(["libkmod-dev"])]
        ),
        // Errors, the command value and the one layer that spawns processes.
        .target(
            name: "ZCCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        // The guest protocol: KTAP, memory.stat, scenario results. Pure parsing, no processes.
        .target(name: "ZCGuest"),
        // Judging guest results: scenarios, properties, expectations. Pure, no processes.
        .target(
            name: "ZCAnalysis",
            dependencies: ["ZCGuest", .product(name: "Yams", package: "Yams")]
        ),
        // newc cpio writer and the initramfs layout. Pure, no processes.
        .target(name: "ZCInitramfs"),
        // Debian kernel resolution, download and cache.
        .target(name: "ZCKernel", dependencies: ["ZCCore"]),
        // kbuild, static guest programs, vermagic check through libkmod.
        .target(name: "ZCBuild", dependencies: ["ZCCore", "CKmod"]),
        // QEMU command line and the owner of the QEMU process.
        .target(name: "ZCQemu", dependencies: ["ZCCore"]),
        // Bisection: the ordered search, git bisect in a worktree of its own, the step log.
        .target(name: "ZCBisect", dependencies: ["ZCCore", "ZCAnalysis"]),
        // Orchestration, expectations, reports and the command-line interface.
        .target(
            name: "ZCBench",
            dependencies: [
                "ZCCore", "ZCGuest", "ZCAnalysis", "ZCInitramfs", "ZCKernel", "ZCBuild", "ZCQemu", "ZCBisect",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "zcbench", dependencies: ["ZCBench"]),
        .testTarget(
            name: "ZCBenchTests",
            dependencies: ["ZCCore", "ZCGuest", "ZCAnalysis", "ZCInitramfs", "ZCKernel", "ZCBuild", "ZCQemu", "ZCBisect",
                           "ZCBench"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "ZCVMTests",
            dependencies: ["ZCCore", "ZCGuest", "ZCAnalysis", "ZCKernel", "ZCBuild", "ZCQemu", "ZCBisect", "ZCBench"]
        ),
    ]
)
