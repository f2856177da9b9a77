import PageKit

/// The words of recent searches, in memory only, under opaque ids: the
/// posted search answers with a redirect to `/cases?q=<id>`, so that Reload
/// and Back show the results again without the browser asking to send the
/// form again, while the words themselves (a family's name, a citizen
/// reference) never appear in an address, and so never in the browser's
/// history on disk. Bounded: the oldest are forgotten first, and all are
/// gone when the app stops.
struct RememberedSearches: Sendable {
    static let capacity = 50
    private var words: [String: String] = [:]
    /// Ids, oldest first.
    private var order: [String] = []

    /// Keeps `query` under a new id and returns it.
    mutating func remember(_ query: String) -> String {
        let id = PageSecret.generate()
        words[id] = query
        order.append(id)
        while order.count > Self.capacity {
            words[order.removeFirst()] = nil
        }
        return id
    }

    /// The words kept under `id`; nil for an id never given or forgotten.
    func words(for id: String) -> String? {
        words[id]
    }
}
