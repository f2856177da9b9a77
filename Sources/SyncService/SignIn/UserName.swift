import Foundation

/// The one spelling of a user name, and what it looks like to a person.
///
/// People type names as they see them: "Anna", a full-width "ａｎｎａ" pasted
/// from a document, "anna" on a laptop. All of them must reach the same
/// account, and an administrator must not be able to add "anna.h" beside
/// "annah", or "b0" beside "bo", because in the audit log and on the review
/// pages the two would read as the same person.
public enum UserName {
    /// NFKC (compatibility forms such as full-width letters and ligatures become
    /// the plain letters), then lower case. Names stored before normalisation
    /// already had the form `a-z 0-9 . _ -` (Protocol.md §2), on which this is
    /// the identity, so every existing account keeps its name.
    public static func normalized(_ text: String) -> String {
        text.precomposedStringWithCompatibilityMapping.lowercased().precomposedStringWithCompatibilityMapping
    }

    /// The name as it reads: normalised, without the punctuation a user id may
    /// hold, and with the characters that are easily taken for one another
    /// folded to one (0 and o; 1, l and i; rn and m, vv and w, cl and d). Two
    /// names with the same skeleton
    /// are too alike to belong to two people.
    public static func skeleton(_ text: String) -> String {
        // Pairs of letters that read as one ("rn" as "m", "vv" as "w", "cl" as
        // "d") first, on the letters as written: folded after "i" became "l",
        // "lucia" would pass for "luda".
        let letters = String(normalized(text).filter { !".-_".contains($0) })
            .replacingOccurrences(of: "rn", with: "m").replacingOccurrences(of: "vv", with: "w")
            .replacingOccurrences(of: "cl", with: "d")
        return String(letters.map { character -> Character in
            switch character {
            case "0": "o"
            case "1", "i": "l"
            default: character
            }
        })
    }
}
