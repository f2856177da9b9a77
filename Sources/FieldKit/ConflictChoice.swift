import SyncCore

/// How a supervisor settles a conflict.
public enum ConflictChoice: Sendable, Hashable {
    /// Keep one of the conflict's values, numbered from 1 as they are listed.
    case value(number: Int)
    /// A merged value: text as it is for a text field; for a date, a boolean
    /// or a number, the value written as JSON ("2026-12-01", true, 12).
    case merged(String)
    /// For a change that reached a note after it was finalized: the note
    /// stays as it was finalized (the field empty, if it was), and the late
    /// change stays beside it as an addendum that was not taken.
    case keepAsFinalized
}
