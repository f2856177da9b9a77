import SyncCore

extension OperationAuthor {
    /// Sets each of `fields` whose value differs from what `state` shows,
    /// applying each operation to `state` before the next. A form saved again
    /// and again (a page's autosave sends every field each time) writes one
    /// operation per field that changed, and none when nothing did.
    ///
    /// Empty text where the field was never written is no change: an empty
    /// box on a form is how a page says "nothing here".
    mutating func setChanged(_ fields: [(String, JSONValue)], on state: inout EntityState) throws -> [SyncCore.Operation] {
        var operations: [SyncCore.Operation] = []
        for (field, value) in fields where !Self.holds(state.value(of: field), value) {
            let operation = try set(field, to: value, on: state)
            state.apply(operation)
            operations.append(operation)
        }
        return operations
    }

    static func holds(_ held: JSONValue?, _ wanted: JSONValue) -> Bool {
        if held == wanted { return true }
        let isEmpty = wanted == .null || wanted == .string("")
        return isEmpty && (held == nil || held == .null)
    }
}
