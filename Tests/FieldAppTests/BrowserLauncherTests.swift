@testable import FieldApp
import Foundation
import Testing

/// The secret address never appears in a process's arguments: the browser is
/// given a private file that forwards to it.
@Suite struct BrowserLauncherTests {
    static let address = URL(string: "http://127.0.0.1:4711/open?secret=abcDEF123-_")!

    @Test func theForwardingFileIsPrivateHoldsTheAddressAndIsDeleted() throws {
        let runtime = FileManager.default.temporaryDirectory.appendingPathComponent("runtime-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // `true` stands in for xdg-open: it is handed the file's path only.
        let launcher = BrowserLauncher(environment: ["XDG_RUNTIME_DIR": runtime.path])
        let file = try launcher.open(Self.address, command: "true")
        #expect(file.deletingLastPathComponent().standardizedFileURL.path == runtime.standardizedFileURL.path)
        #expect(!file.path.contains("abcDEF123"))
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let html = try String(contentsOf: file, encoding: .utf8)
        #expect(html.contains(#"<meta http-equiv="refresh" content="0; url=http://127.0.0.1:4711/open?secret=abcDEF123-_">"#))
        launcher.forget()
        #expect(!FileManager.default.fileExists(atPath: file.path))
        launcher.forget()
    }

    @Test func withoutAPrivateRuntimeDirectoryItMakesItsOwn() throws {
        let shared = FileManager.default.temporaryDirectory.appendingPathComponent("shared-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: shared.path)
        #expect(!BrowserLauncher.isPrivateDirectory(shared.path))
        let launcher = BrowserLauncher(environment: ["XDG_RUNTIME_DIR": shared.path, "TMPDIR": shared.path])
        let file = try launcher.open(Self.address, command: "true")
        let directory = file.deletingLastPathComponent()
        #expect(directory.standardizedFileURL.path != shared.standardizedFileURL.path)
        let mode = (try FileManager.default.attributesOfItem(atPath: directory.path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o700)
        launcher.forget()
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }
}
