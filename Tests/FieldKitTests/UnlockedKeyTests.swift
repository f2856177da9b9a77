@testable import FieldKit
import Foundation
import SyncTestSupport
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

    /// A laptop whose key `field unlock` keeps for a minute, in a runtime
    /// directory in memory of its own (the caller removes `runtime`).
    struct KeptKeyLaptop {
        let runtime: String
        let paths: FieldPaths
        let clock = ManualWallClock()
        var environment: [String: String] { ["XDG_RUNTIME_DIR": runtime] }

        func unlock() throws {
            _ = try FieldSession.unlock(paths: paths, secret: { .passphrase(OfflineLaptop.passphrase) }, for: 60_000, clock: clock,
                                        environment: environment)
        }

        func openWithKeptKey() throws -> FieldSession {
            try FieldSession.open(paths: paths, secret: { throw FieldError.noPassphrase }, clock: clock, environment: environment)
        }
    }

    static func keptKeyLaptop() throws -> KeptKeyLaptop {
        try #require(UnlockedKey.isInMemory(memory))
        let paths = try OfflineLaptop.home()
        return KeptKeyLaptop(runtime: try directory(under: memory, mode: 0o700), paths: paths)
    }

    /// The app keeps its data open for hours: it asks before each use
    /// whether the key `field unlock` kept, which opened the data, is still
    /// kept, so that `field lock` and the key's expiry lock it too.
    @Test func dataOpenedWithTheKeptKeyKnowsWhenThatKeyIsGone() throws {
        let laptop = try Self.keptKeyLaptop()
        defer { try? FileManager.default.removeItem(atPath: laptop.runtime) }
        let (environment, paths, clock) = (laptop.environment, laptop.paths, laptop.clock)
        func unlock() throws { try laptop.unlock() }
        try unlock()
        let kept = try laptop.openWithKeptKey()
        let typed = try FieldSession.open(paths: paths, secret: { .passphrase(OfflineLaptop.passphrase) }, clock: clock, environment: [:])
        #expect(kept.isOpenedWithKeptKey && !typed.isOpenedWithKeptKey)
        #expect(kept.isKeptKeyStillHeld() && typed.isKeptKeyStillHeld())

        #expect(FieldSession.lock(paths: paths, environment: environment))
        #expect(!kept.isKeptKeyStillHeld())
        // Data opened with the passphrase never depended on the kept key.
        #expect(typed.isKeptKeyStillHeld())

        try unlock()
        #expect(kept.isKeptKeyStillHeld())
        clock.advance(by: 59_999)
        #expect(kept.isKeptKeyStillHeld())
        clock.advance(by: 1)
        #expect(!kept.isKeptKeyStillHeld())

        // Another key in its place is not the one that opened the data.
        try unlock()
        let location = try UnlockedKey.location(for: paths, environment: environment)
        let expiry = clock.milliseconds() + 60_000
        let other = Data((0..<8).reversed().map { UInt8(truncatingIfNeeded: expiry >> (8 * UInt64($0))) }) + Data(repeating: 7, count: 32)
        try other.write(to: location.url)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: location.url.path)
        #expect(location.load(now: clock.milliseconds()) != nil)
        #expect(!kept.isKeptKeyStillHeld())

        try unlock()
        kept.forgetKeptKey()
        #expect(!FileManager.default.fileExists(atPath: location.url.path))
    }

    /// A read that fails for a moment (no file descriptor left, an
    /// interrupted call) is no reason to throw the kept key away: only an
    /// expired or damaged one is deleted.
    @Test func aFailedReadKeepsTheKeyAndOnlyAnExpiredOrDamagedOneIsDeleted() throws {
        try #require(UnlockedKey.isInMemory(Self.memory))
        let runtime = try Self.directory(under: Self.memory, mode: 0o700)
        defer { try? FileManager.default.removeItem(atPath: runtime) }
        let environment = ["XDG_RUNTIME_DIR": runtime]
        let paths = try OfflineLaptop.home()
        let clock = ManualWallClock()
        let expiry = try FieldSession.unlock(paths: paths, secret: { .passphrase(OfflineLaptop.passphrase) }, for: 60_000, clock: clock,
                                             environment: environment)
        let location = try UnlockedKey.location(for: paths, environment: environment)

        struct Interrupted: Error {}
        #expect(location.load(now: clock.milliseconds(), read: { _ in throw Interrupted() }) == nil)
        #expect(FileManager.default.fileExists(atPath: location.url.path))
        #expect(location.load(now: clock.milliseconds()) != nil)

        #expect(location.load(now: expiry) == nil)
        #expect(!FileManager.default.fileExists(atPath: location.url.path))

        _ = try FieldSession.unlock(paths: paths, secret: { .passphrase(OfflineLaptop.passphrase) }, for: 60_000, clock: clock,
                                    environment: environment)
        #expect(location.load(now: clock.milliseconds(), read: { _ in Data(repeating: 1, count: 12) }) == nil)
        #expect(!FileManager.default.fileExists(atPath: location.url.path))
    }

    /// The app asks before each use whether the kept key is still held: a
    /// read that fails for a moment is not "gone", and does not lock the app.
    @Test func dataOpenedWithTheKeptKeyStaysOpenWhenTheKeyCannotBeReadForAMoment() throws {
        let laptop = try Self.keptKeyLaptop()
        defer { try? FileManager.default.removeItem(atPath: laptop.runtime) }
        let (environment, paths) = (laptop.environment, laptop.paths)
        try laptop.unlock()
        let kept = try laptop.openWithKeptKey()
        struct Interrupted: Error {}
        #expect(kept.isKeptKeyStillHeld(read: { _ in throw Interrupted() }))
        #expect(kept.isKeptKeyStillHeld())
        #expect(FieldSession.lock(paths: paths, environment: environment))
        #expect(!kept.isKeptKeyStillHeld(read: { _ in throw Interrupted() }), "a key that is gone is gone, read or not")
    }
}
