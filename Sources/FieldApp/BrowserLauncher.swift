import Foundation
import Logging
import Synchronization

/// Opens the app's one-time address in the default browser without putting
/// the secret in any process's arguments, which every user on the laptop can
/// read (/proc/PID/cmdline): the address goes into a small HTML file that only
/// this user can read, which forwards the browser to it, and `xdg-open` is
/// given the file's path. The file is deleted once the address was used,
/// after a minute, or when the app stops.
public final class BrowserLauncher: Sendable {
    private let forwarder = Mutex<(file: URL, directory: URL?)?>(nil)
    private let environment: [String: String]
    private let logger: Logger
    public static let lifetime: Duration = .seconds(60)

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger = Logger(label: "field-app")) {
        self.environment = environment
        self.logger = logger
    }

    /// Writes the forwarding file and hands it to `xdg-open`; returns the
    /// file. A browser that cannot be started is logged: the printed address
    /// still works.
    @discardableResult
    public func open(_ address: URL, command: String = "xdg-open") throws -> URL {
        let (file, directory) = try Self.writeForwarder(to: address, environment: environment)
        forwarder.withLock { $0 = (file, directory) }
        Task { [weak self] in
            try? await Task.sleep(for: Self.lifetime)
            self?.forget()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [command, file.path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            logger.warning("the browser could not be opened; open the printed address", metadata: ["error": "\(error)"])
        }
        return file
    }

    /// Deletes the forwarding file (and the directory made for it), once.
    public func forget() {
        guard let written = forwarder.withLock({ value -> (file: URL, directory: URL?)? in
            defer { value = nil }
            return value
        }) else { return }
        try? FileManager.default.removeItem(at: written.file)
        if let directory = written.directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// The file, in $XDG_RUNTIME_DIR when it is this user's own private
    /// directory, else in a new directory of mode 0700 under the temporary
    /// directory (returned, to delete with the file). Created exclusively with
    /// mode 0600: never through a link someone else put in its place.
    static func writeForwarder(to address: URL, environment: [String: String]) throws -> (file: URL, directory: URL?) {
        var directory: URL
        var made: URL?
        if let runtime = environment["XDG_RUNTIME_DIR"], isPrivateDirectory(runtime) {
            directory = URL(fileURLWithPath: runtime, isDirectory: true)
        } else {
            let base = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            var template = Array("\(base)/field-app-XXXXXX".utf8CString)
            guard let created = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
            directory = URL(fileURLWithPath: String(cString: created), isDirectory: true)
            made = directory
        }
        let file = directory.appendingPathComponent("field-app-\(UUID().uuidString).html")
        let html = """
            <!doctype html>
            <html lang="da"><head><meta charset="utf-8">
            <meta http-equiv="refresh" content="0; url=\(address.absoluteString)">
            <title>Feltnotater</title></head>
            <body><p><a href="\(address.absoluteString)">Feltnotater</a></p></body></html>
            """
        let descriptor = Glibc.open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: Data(html.utf8))
        try handle.close()
        return (file, made)
    }

    /// A directory owned by this user that no one else may enter.
    static func isPrivateDirectory(_ path: String) -> Bool {
        var status = stat()
        guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else { return false }
        return status.st_uid == getuid() && status.st_mode & 0o077 == 0
    }
}
