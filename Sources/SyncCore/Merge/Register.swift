/// A multi-value register: the state of one single-valued field.
///
/// Every `set` (and `resolve`) names the values it replaces. The values that no
/// operation replaces are the heads: one head is the normal case, two or more
/// heads are values written concurrently. Arrival order does not matter: an
/// operation that names a predecessor not yet received remembers it in
/// `pendingSuperseded`, so the predecessor never becomes a head when it arrives.
struct Register: Hashable, Sendable {
    private(set) var heads: [OperationID] = []
    private var pendingSuperseded: Set<OperationID> = []

    mutating func apply(_ id: OperationID, replacing predecessors: [OperationID], isKnown: (OperationID) -> Bool) {
        for predecessor in predecessors {
            if let index = heads.firstIndex(of: predecessor) {
                heads.remove(at: index)
            } else if !isKnown(predecessor) {
                pendingSuperseded.insert(predecessor)
            }
        }
        if pendingSuperseded.isEmpty || pendingSuperseded.remove(id) == nil {
            heads.append(id)
        }
    }

    /// The visible value's operation: the greatest head in the total order of
    /// operation ids. Arbitrary but the same on every replica.
    var winner: OperationID? { heads.max() }
}

/// An observed-remove set: the state of one set-valued field (for example the
/// participants present at a meeting). An addition survives unless a removal
/// names its tag, so an add concurrent with a remove wins and nothing a user
/// added disappears because of a removal made without seeing it.
struct ObservedRemoveSet: Hashable, Sendable {
    private(set) var live: [JSONValue: Set<OperationID>] = [:]
    private var removedTags: Set<OperationID> = []

    mutating func add(_ element: JSONValue, tag: OperationID) {
        guard !removedTags.contains(tag) else { return }
        live[element, default: []].insert(tag)
    }

    /// `elementOfTag` finds the element an addition already held added, so that a
    /// removal takes effect on what the tag really added, whatever element the
    /// removal claims.
    mutating func remove(tags: [OperationID], elementOfTag: (OperationID) -> JSONValue?) {
        for tag in tags {
            removedTags.insert(tag)
            guard let element = elementOfTag(tag), var tags = live[element] else { continue }
            tags.remove(tag)
            live[element] = tags.isEmpty ? nil : tags
        }
    }

    /// In the canonical order of Protocol.md §6.2: byte-wise by canonical encoding.
    var elements: [JSONValue] {
        live.keys.map { (OperationCodec.canonicalBytes($0), $0) }
            .sorted { $0.0.lexicographicallyPrecedes($1.0) }
            .map(\.1)
    }

    func liveTags(of element: JSONValue) -> [OperationID] {
        (live[element] ?? []).sorted()
    }
}
