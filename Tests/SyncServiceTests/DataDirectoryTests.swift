import Foundation
import Logging
import SyncService
import Testing

/// The data directory and the database files in it are the server's user's
/// only: case notes are stored there in clear.
@Suite(.serialized) struct DataDirectoryTests {
    static func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    static func scratch() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("data-\(UUID().uuidString)").path
    }

    /// Opens the database as `serve` does, and writes, so that the WAL and
    /// shared-memory files exist (as long as the database stays open: the
    /// last connection to close removes them).
    static func openAndWrite(_ directory: String) async throws -> ServerDatabase {
        let database = try ServerDatabase(path: directory + "/server.sqlite")
        try await database.addUser("anna", role: .caseworker, password: "correct horse battery", bcryptCost: 4)
        for suffix in ["", "-wal", "-shm"] {
            #expect(FileManager.default.fileExists(atPath: directory + "/server.sqlite" + suffix), "server.sqlite\(suffix)")
        }
        return database
    }

    @Test func aNewDirectoryAndItsDatabaseWALAndSharedMemoryAreTheOwnersOnly() async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // As a shell under the usual umask would leave it.
        umask(0o022)
        try DataDirectory.prepare(at: directory, create: true, logger: Logger(label: "test"))
        let database = try await Self.openAndWrite(directory)
        #expect(try Self.mode(directory) == 0o700)
        for suffix in ["", "-wal", "-shm"] {
            #expect(try Self.mode(directory + "/server.sqlite" + suffix) == 0o600, "server.sqlite\(suffix)")
        }
        _ = database
    }

    @Test func anExistingDirectoryThatOthersCanReadIsTightenedAndReported() async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        umask(0o022)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        // Still open, as after a crash: the WAL and shared memory are there.
        let database = try await Self.openAndWrite(directory)
        for suffix in ["", "-wal", "-shm"] { chmod(directory + "/server.sqlite" + suffix, 0o644) }
        chmod(directory, 0o755)
        try FileManager.default.createDirectory(atPath: directory + "/old", withIntermediateDirectories: false)

        let tightened = try DataDirectory.prepare(at: directory, create: false, logger: Logger(label: "test"))
        #expect(Set(tightened) == Set([directory] + ["", "-wal", "-shm"].map { directory + "/server.sqlite" + $0 }))
        #expect(try Self.mode(directory) == 0o700)
        for suffix in ["", "-wal", "-shm"] {
            #expect(try Self.mode(directory + "/server.sqlite" + suffix) == 0o600, "server.sqlite\(suffix)")
        }
        #expect(try DataDirectory.prepare(at: directory, create: false, logger: Logger(label: "test")).isEmpty,
                "nothing left to tighten the second time")
        _ = database
    }

    @Test func aMissingDirectoryIsNotCreatedWhenOnlyReading() throws {
        let directory = Self.scratch()
        #expect(throws: ServerStartRefusal.self) {
            try DataDirectory.prepare(at: directory, create: false, logger: Logger(label: "test"))
        }
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    /// A symbolic link in the data directory would send the database or its
    /// journal elsewhere, where anyone may read it: the start is refused.
    @Test func aSymbolicLinkInTheDirectoryStopsTheStart() throws {
        let directory = Self.scratch()
        try DataDirectory.prepare(at: directory, create: true, logger: Logger(label: "test"))
        let elsewhere = Self.scratch()
        try FileManager.default.createSymbolicLink(atPath: directory + "/server.sqlite-wal", withDestinationPath: elsewhere)
        #expect(throws: ServerStartRefusal.self) {
            try DataDirectory.prepare(at: directory, create: false, logger: Logger(label: "test"))
        }
    }

    /// A directory of another user's is refused even when only its owner may
    /// read it: the server would write case notes where someone else decides.
    @Test(.enabled(if: geteuid() == 0, "needs to give a directory away"))
    func aDirectoryOfAnotherUsersIsRefused() throws {
        let directory = Self.scratch()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        #expect(chown(directory, 65534, 65534) == 0)
        #expect(throws: ServerStartRefusal.self) {
            try DataDirectory.prepare(at: directory, create: false, logger: Logger(label: "test"))
        }
    }
}
