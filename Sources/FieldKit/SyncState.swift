import SyncCore

/// Where this laptop stands with the server: what `field status` and the
/// app's front page show. Counts only, no case data: not logged as a read.
public struct SyncState: Sendable, Hashable {
    /// When the last sync finished, in milliseconds since 1970; nil before the first.
    public let lastSyncAt: Int64?
    /// Changes written here that the server has not acknowledged yet.
    public let waitingOperations: Int
    /// The entries (cases, notes, participants, steps) those changes are
    /// to: what a person counts. A note written with fifty autosaves is one.
    public let waitingEntries: Int
    public let openConflicts: Int
}

extension FieldSession {
    public func syncState() async throws -> SyncState {
        let status = try await replica.status()
        return SyncState(lastSyncAt: status.lastSyncAt, waitingOperations: status.waitingOperations,
                         waitingEntries: status.waitingEntries, openConflicts: try await replica.openConflictCount())
    }
}
