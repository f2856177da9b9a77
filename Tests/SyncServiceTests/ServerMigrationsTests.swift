import GRDB
@testable import SyncService
import Testing

@Suite struct ServerMigrationsTests {
    /// A database records the migrations it applied by name: a renamed or
    /// reordered one would run again on every existing server.
    @Test func theMigrationsKeepTheirReleasedNamesAndOrder() {
        #expect(ServerMigrations.migrator.migrations == [
            "v1 operation log",
            "server v1",
            "review sessions v1",
            "v2 operation log clustered by case",
            "v3 entity types",
            "server v2 read quota",
            "server v3 quarantine what the write rules refuse",
            "server v4 device token key",
            "server v5 push receipts keep their batch's hash",
        ])
    }
}
