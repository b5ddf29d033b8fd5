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
        // The pipeline, one target per stage, arrows pointing one way:
        //   command line -> plan, boot (ZCRun) -> kernel, build, initramfs, QEMU
        //   -> guest protocol (ZCGuest) -> judge (ZCAnalysis) -> report (ZCReport);
        //   the workflows (ZCFuzz, ZCBenchmark, ZCBisect) drive ZCRun.
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
        // The guest protocol: KTAP, cgroup files, the console, the shared names (vm/lib/protocol.h)
        // and the module's designs (kernel/uapi/zcpool.h). Pure parsing, no processes.
        .target(name: "ZCGuest"),
        // Judging: scenarios, properties, expectations, the matrix, the run verdict. Pure.
        .target(
            name: "ZCAnalysis",
            dependencies: ["ZCGuest", .product(name: "Yams", package: "Yams")]
        ),
        // Rendering run reports: table, JSON, JUnit, markdown, HTML. Pure.
        .target(name: "ZCReport", dependencies: ["ZCGuest", "ZCAnalysis"]),
        // newc cpio writer and the initramfs layout. Pure, no processes.
        .target(name: "ZCInitramfs"),
        // Debian kernel resolution, download and cache.
        .target(name: "ZCKernel", dependencies: ["ZCCore"]),
        // kbuild, static guest programs, vermagic check through libkmod.
        .target(name: "ZCBuild", dependencies: ["ZCCore", "CKmod"]),
        // QEMU command line and the owner of the QEMU process.
        .target(name: "ZCQemu", dependencies: ["ZCCore"]),
        // One boot: the plan and its timeout rule, kernel, build, initramfs, QEMU, the verdict.
        .target(
            name: "ZCRun",
            dependencies: ["ZCCore", "ZCGuest", "ZCAnalysis", "ZCInitramfs", "ZCKernel", "ZCBuild", "ZCQemu",
                           .product(name: "Logging", package: "swift-log")]
        ),
        // The fuzzing workflow: the plan, the summaries, crash narrowing by booting again.
        .target(name: "ZCFuzz", dependencies: ["ZCCore", "ZCGuest", "ZCAnalysis", "ZCKernel", "ZCRun"]),
        // The benchmark workflow and its report.
        .target(name: "ZCBenchmark", dependencies: ["ZCCore", "ZCGuest", "ZCAnalysis", "ZCReport", "ZCKernel", "ZCBuild", "ZCRun"]),
        // Bisection: the ordered search, git bisect in a worktree of its own, the step log,
        // the driver and its report.
        .target(name: "ZCBisect", dependencies: ["ZCCore", "ZCAnalysis", "ZCReport", "ZCKernel", "ZCBuild", "ZCRun"]),
        // The command line: options, one file per command (parse -> typed request -> call).
        .target(
            name: "ZCCommandLine",
            dependencies: [
                "ZCCore", "ZCGuest", "ZCAnalysis", "ZCReport", "ZCKernel", "ZCQemu", "ZCRun", "ZCFuzz", "ZCBenchmark", "ZCBisect",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "zcbench", dependencies: ["ZCCommandLine", .product(name: "Logging", package: "swift-log")]),
        // Tests: one target per library, fixtures shared through ZCTestSupport; VM tests boot
        // real kernels (make test sets ZCBENCH_VM_TESTS=1).
        .target(name: "ZCTestSupport", dependencies: ["ZCCore", "ZCGuest", "ZCAnalysis"], path: "Tests/ZCTestSupport", resources: [.copy("Fixtures")]),
        .testTarget(name: "ZCCoreTests", dependencies: ["ZCCore", "ZCTestSupport"]),
        .testTarget(name: "ZCGuestTests", dependencies: ["ZCGuest", "ZCTestSupport"]),
        .testTarget(name: "ZCAnalysisTests", dependencies: ["ZCGuest", "ZCAnalysis", "ZCTestSupport"]),
        .testTarget(name: "ZCReportTests", dependencies: ["ZCGuest", "ZCAnalysis", "ZCReport", "ZCTestSupport"]),
        .testTarget(name: "ZCInitramfsTests", dependencies: ["ZCInitramfs", "ZCTestSupport"]),
        .testTarget(name: "ZCKernelTests", dependencies: ["ZCCore", "ZCKernel", "ZCTestSupport"]),
        .testTarget(name: "ZCBuildTests", dependencies: ["ZCCore", "ZCBuild", "ZCTestSupport"]),
        .testTarget(name: "ZCQemuTests", dependencies: ["ZCCore", "ZCQemu", "ZCTestSupport"]),
        .testTarget(name: "ZCRunTests", dependencies: ["ZCCore", "ZCGuest", "ZCAnalysis", "ZCQemu", "ZCRun", "ZCTestSupport"]),
        .testTarget(name: "ZCFuzzTests", dependencies: ["ZCCore", "ZCGuest", "ZCAnalysis", "ZCReport", "ZCKernel", "ZCRun", "ZCFuzz", "ZCTestSupport"]),
        .testTarget(name: "ZCBenchmarkTests", dependencies: ["ZCGuest", "ZCAnalysis", "ZCRun", "ZCBenchmark", "ZCTestSupport"]),
        .testTarget(name: "ZCBisectTests", dependencies: ["ZCCore", "ZCAnalysis", "ZCRun", "ZCBisect", "ZCTestSupport"]),
        .testTarget(name: "ZCCommandLineTests", dependencies: ["ZCCore", "ZCGuest", "ZCAnalysis", "ZCKernel", "ZCRun", "ZCFuzz", "ZCBisect", "ZCCommandLine", "ZCTestSupport"]),
        .testTarget(name: "ZCVMTests", dependencies: ["ZCCore", "ZCGuest", "ZCAnalysis", "ZCReport", "ZCKernel", "ZCBuild", "ZCQemu", "ZCRun", "ZCFuzz", "ZCBenchmark", "ZCBisect", "ZCCommandLine", "ZCTestSupport"]),
    ]
)
