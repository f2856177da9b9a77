import Foundation

/// A tmpfs of a few MiB on a temporary directory, for tests of what a program
/// does when its disk is full. Mounting needs root, as the test machines and
/// CI run; `canMount` says whether this process may.
public final class SmallFileSystem: @unchecked Sendable {
    public static var canMount: Bool { geteuid() == 0 }

    public let path: String
    private var isMounted = false

    public init(megabytes: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("small-fs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0700", "tmpfs", path])
        isMounted = true
    }

    public var fillerPath: String { path + "/filler" }

    /// Fills what is left with one file (`fillerPath`), page by page at the
    /// end, until the file system refuses a byte more.
    public func fill() throws {
        // Close-on-exec: a process another test starts meanwhile must not
        // inherit the file, or its room stays taken after `removeFiller`.
        let descriptor = open(fillerPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure("cannot create \(fillerPath): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        for chunk in [1 << 20, 4096, 1] {
            let bytes = [UInt8](repeating: 0x2E, count: chunk)
            while true {
                if write(descriptor, bytes, chunk) >= 0 { continue }  // a short write is followed by ENOSPC
                if errno == EINTR { continue }
                if errno == ENOSPC { break }
                throw Failure("cannot fill \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Makes the room `fill` took free again.
    public func removeFiller() throws {
        try FileManager.default.removeItem(atPath: fillerPath)
    }

    public func unmount() throws {
        guard isMounted else { return }
        try Self.run("/usr/bin/umount", [path])
        isMounted = false
        try? FileManager.default.removeItem(atPath: path)
    }

    deinit {
        // A test that stopped early: detach it lazily rather than leave it behind.
        if isMounted { try? Self.run("/usr/bin/umount", ["-l", path]) }
        try? FileManager.default.removeItem(atPath: path)
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure("\(executable) \(arguments.joined(separator: " ")) failed: \(text)")
        }
    }
}
