@testable import FieldKit
import Foundation
import Testing

/// `field unlock` keeps a key only where it never reaches a disk and no one
/// else can read it: a memory file system, in a directory of the user's own
/// with mode 0700.
@Suite struct UnlockedKeyTests {
    static func directory(under parent: String, mode: Int) throws -> String {
        let path = parent + "/field-runtime-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    static var memory: String { "/dev/shm" }
    /// Beside the built executable: on a disk, and ignored by git.
    static var disk: String { (FieldCommandLineTests.executable as NSString).deletingLastPathComponent }

    @Test func aDirectoryOnADiskIsRefused() throws {
        let onDisk = try Self.directory(under: Self.disk, mode: 0o700)
        defer { try? FileManager.default.removeItem(atPath: onDisk) }
        try #require(!UnlockedKey.isInMemory(onDisk), "the build directory is expected on a disk")
        let refusal = try #require(UnlockedKey.refusal(ofRuntimeDirectory: onDisk, owner: getuid()))
        #expect(refusal.contains("on a disk"), "\(refusal)")
    }

    @Test func aMemoryDirectoryOthersCanReadIsRefused() throws {
        try #require(UnlockedKey.isInMemory(Self.memory), "/dev/shm is expected to be tmpfs")
        let open = try Self.directory(under: Self.memory, mode: 0o755)
        defer { try? FileManager.default.removeItem(atPath: open) }
        let refusal = try #require(UnlockedKey.refusal(ofRuntimeDirectory: open, owner: getuid()))
        #expect(refusal.contains("755"), "\(refusal)")
    }

    @Test func aMemoryDirectoryOfAnotherUserIsRefused() throws {
        try #require(UnlockedKey.isInMemory(Self.memory))
        let closed = try Self.directory(under: Self.memory, mode: 0o700)
        defer { try? FileManager.default.removeItem(atPath: closed) }
        #expect(UnlockedKey.refusal(ofRuntimeDirectory: closed, owner: getuid() &+ 1)?.contains("another user") == true)
    }

    @Test func aClosedMemoryDirectoryOfTheUserIsAccepted() throws {
        try #require(UnlockedKey.isInMemory(Self.memory))
        let closed = try Self.directory(under: Self.memory, mode: 0o700)
        defer { try? FileManager.default.removeItem(atPath: closed) }
        #expect(UnlockedKey.refusal(ofRuntimeDirectory: closed, owner: getuid()) == nil)
        #expect(UnlockedKey.refusal(ofRuntimeDirectory: closed + "/missing", owner: getuid()) != nil)
    }

    @Test func unlockRefusesADiskDirectoryInOneLineAndKeepsNothing() throws {
        try #require(FileManager.default.isExecutableFile(atPath: FieldCommandLineTests.executable))
        let onDisk = try Self.directory(under: Self.disk, mode: 0o700)
        defer { try? FileManager.default.removeItem(atPath: onDisk) }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("unlock-\(UUID().uuidString)")
        let paths = FieldPaths.resolve(home: home.path)
        try paths.createDirectories()
        _ = try Vault.create(secret: .passphrase("laptop secret"), at: paths.vaultHeader, rounds: 1 << 10)
        let run = try FieldCommandLineTests.field(["unlock"], home: home.path, environment: ["XDG_RUNTIME_DIR": onDisk])
        #expect(run.status != 0)
        #expect(run.error.split(separator: "\n").count == 1 && run.error.contains("not in memory"), "\(run.error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: onDisk).isEmpty, "a key was written to the disk")
    }
}
