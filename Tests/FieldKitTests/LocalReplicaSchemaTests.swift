@testable import FieldKit
import GRDB
import SyncPersistence
import Testing

@Suite struct LocalReplicaSchemaTests {
    /// A laptop's database records the migrations it applied by name: a
    /// renamed or reordered one would run again on every laptop.
    @Test func theMigrationsKeepTheirReleasedNamesAndOrder() {
        #expect(LocalReplicaSchema.migrator(bodies: PlaintextBodies()).migrations == [
            "v1 operation log",
            "field v1",
            "v2 operation log clustered by case",
            "v3 entity types",
            "field v2: sealed device token",
            "field v3: acknowledgements",
            "field v4: open conflicts",
            "field v5: entity types",
            "field v6: withdrawn operations",
        ])
    }
}
