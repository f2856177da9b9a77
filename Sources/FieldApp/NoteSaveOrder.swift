import SyncCore

/// Runs the saves of draft notes one at a time, and drops a save of the
/// autosave script that a later save of the same tab has overtaken.
///
/// The script keeps one save in flight, but closing the tab sends what is
/// left at once, beside the one under way; the two may reach the server in
/// either order. Each save carries everything changed since the last one
/// acknowledged, so the later one holds the newer text: applied after it, the
/// earlier would put older text back. The form's own button carries the
/// tab's next number when the script runs, so a save still under way cannot
/// undo it either; without the script it has no number and is always applied.
actor NoteSaveOrder {
    /// The highest save number applied, by note and tab. A few bytes per page
    /// load, for as long as the app runs.
    private var newest: [EntityID: [String: Int]] = [:]
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// A tab's id longer than the script makes is not kept (nor trusted to order).
    static let maximumEditorLength = 64

    /// The result of `save`, or nil when a later save of the same tab ran first.
    func run<Result: Sendable>(
        note: EntityID, editor: String?, sequence: Int?, _ save: @Sendable () async throws -> Result
    ) async throws -> Result? {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        if let editor, let sequence, !editor.isEmpty, editor.count <= Self.maximumEditorLength {
            if let applied = newest[note]?[editor], applied >= sequence { return nil }
            newest[note, default: [:]][editor] = sequence
        }
        return try await save()
    }
}
