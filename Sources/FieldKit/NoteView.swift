import SyncCore

/// A note as it is shown: the record (or draft), its addenda, its open
/// conflicts, and who the participants it names as present are.
public struct NoteView: Sendable {
    public let note: Note
    public let openConflicts: [ConflictRecord]
    /// The participants named as present, by id; one no longer held here is missing.
    public let presentParticipants: [EntityID: Participant]
}
