/// What counts as an empty text (a `resolve`'s `reason`, Protocol.md §9):
/// one made of Unicode White_Space scalars only. Decided per scalar, not per
/// `Character` (whose `isWhitespace` looks at the first scalar only, so that
/// a space carrying a combining mark would count as blank), so that the rule
/// is one a JSON Schema pattern can state exactly (openapi.json).
public enum BlankText {
    public static func isBlank(_ text: some StringProtocol) -> Bool {
        text.unicodeScalars.allSatisfy(\.properties.isWhitespace)
    }
}
