import Foundation

/// What every test target shares: the captured fixtures (Fixtures/README.md says where each
/// comes from) and the checkout the tests run in.
public enum TestSupport {
    /// The text of a captured fixture in Tests/ZCTestSupport/Fixtures.
    public static func fixture(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw FixtureError(name: name)
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The zcbench checkout (the package root): `swift test` runs in it.
    public static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A file of the checkout, as text.
    public static func repositoryFile(_ path: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent(path), encoding: .utf8)
    }
}

/// A fixture that is not in the bundle.
public struct FixtureError: Error, CustomStringConvertible {
    public var name: String
    public var description: String { "no fixture \(name) in Tests/ZCTestSupport/Fixtures" }
}

/// The text of a captured fixture.
public func fixture(_ name: String) throws -> String {
    try TestSupport.fixture(name)
}
