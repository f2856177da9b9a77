import Foundation

/// A fresh directory under the system temporary directory (TMPDIR), removed by `remove()`.
public struct ScratchDirectory: Sendable {
    public let path: String

    public init(prefix: String) throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
