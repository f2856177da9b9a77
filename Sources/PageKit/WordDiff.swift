/// A word-level diff of two texts, for showing where concurrent note bodies
/// differ (on the review pages and in the caseworker's app): each text is split into words and the white space between them, and
/// the tokens outside a longest common subsequence are the differing passages.
public enum WordDiff {
    public struct Segment: Sendable, Equatable {
        public let text: String
        public let differs: Bool

        public init(text: String, differs: Bool) {
            self.text = text
            self.differs = differs
        }
    }

    /// Above this many token pairs the middle (after the common start and end)
    /// is shown as differing whole, instead of spending memory on the table.
    public static let maximumCells = 4_000_000

    /// `text` split into segments, marking what is not shared with `other`.
    public static func segments(of text: String, comparedWith other: String) -> [Segment] {
        let a = tokens(text), b = tokens(other)
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let middleA = Array(a[prefix..<(a.count - suffix)]), middleB = Array(b[prefix..<(b.count - suffix)])

        var shared = [Bool](repeating: false, count: middleA.count)
        if !middleA.isEmpty, !middleB.isEmpty, middleA.count * middleB.count <= maximumCells {
            // lengths[i][j]: LCS length of middleA[i...] and middleB[j...].
            let width = middleB.count + 1
            var lengths = [Int32](repeating: 0, count: (middleA.count + 1) * width)
            for i in stride(from: middleA.count - 1, through: 0, by: -1) {
                for j in stride(from: middleB.count - 1, through: 0, by: -1) {
                    lengths[i * width + j] = middleA[i] == middleB[j]
                        ? lengths[(i + 1) * width + j + 1] + 1
                        : max(lengths[(i + 1) * width + j], lengths[i * width + j + 1])
                }
            }
            var (i, j) = (0, 0)
            while i < middleA.count, j < middleB.count {
                if middleA[i] == middleB[j] {
                    shared[i] = true
                    (i, j) = (i + 1, j + 1)
                } else if lengths[(i + 1) * width + j] >= lengths[i * width + j + 1] {
                    i += 1
                } else {
                    j += 1
                }
            }
        }
        var flags = [Bool](repeating: false, count: prefix) + shared.map { !$0 } + [Bool](repeating: false, count: suffix)
        // White space between two differing words belongs to the passage, so that
        // it reads as one marked stretch; white space at its edges does not.
        for index in flags.indices where isSpace(a[index]) {
            flags[index] = index > 0 && index < flags.count - 1 && flags[index - 1] && flags[index + 1]
        }
        var result: [Segment] = []
        for (token, differs) in zip(a, flags) {
            if let last = result.last, last.differs == differs {
                result[result.count - 1] = Segment(text: last.text + token, differs: differs)
            } else {
                result.append(Segment(text: token, differs: differs))
            }
        }
        return result
    }

    /// Words and runs of white space, in order; joined they give the text back.
    public static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var currentIsSpace = false
        for character in text {
            let space = character.isWhitespace
            if !current.isEmpty && space != currentIsSpace {
                tokens.append(current)
                current = ""
            }
            current.append(character)
            currentIsSpace = space
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    private static func isSpace(_ token: String) -> Bool { token.first?.isWhitespace ?? false }
}
