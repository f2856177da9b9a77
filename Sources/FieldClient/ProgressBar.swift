/// The line `field sync` redraws on a terminal: `pull [#######.............]  12,000 / 50,200 operations`.
enum ProgressBar {
    static let width = 30

    static func line(_ phase: String, done: Int, total: Int?) -> String {
        guard let total, total > 0 else { return "\(phase): \(done) operations" }
        let shown = min(done, total)
        let filled = shown * width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "\(phase) [\(bar)] \(grouped(shown)) / \(grouped(total)) operations"
    }

    /// 50200 → "50,200": long counts read at a glance.
    static func grouped(_ value: Int) -> String {
        var digits = Array(String(value))
        var index = digits.count - 3
        while index > 0 {
            digits.insert(",", at: index)
            index -= 3
        }
        return String(digits)
    }
}
