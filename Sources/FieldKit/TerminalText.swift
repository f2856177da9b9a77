/// Text that came from the network or from other people's laptops (titles,
/// names, note bodies, device names, the server's error details), made safe to
/// write to a terminal.
///
/// A terminal obeys control characters in what it prints: an escape sequence
/// in a case title could colour or hide the rest of the screen, a carriage
/// return or line feed could forge a line that looks like `field`'s own
/// ("field: signed out"), and a bidirectional override could show a deadline
/// or a name reversed. Every such character is written as a visible escape
/// (`\u{1B}`, `\n`) instead, so the reader sees that it is there. Letters of
/// any script, including æøå and emoji, are left as they are.
public enum TerminalText {
    /// One line: every control character is escaped, line breaks included.
    public static func escaped(_ text: String) -> String {
        escape(text, keepingLineBreaks: false)
    }

    /// A block of several lines, such as a note body: line feeds and tabs are
    /// the text's own layout and stay; every other control character is
    /// escaped. A Windows line end (CR LF) counts as a line feed.
    public static func escapedBlock(_ text: String) -> String {
        escape(text, keepingLineBreaks: true)
    }

    /// Compact JSON (no whitespace between tokens) with the same characters
    /// escaped as JSON escapes (`\u009b`), so that it stays valid JSON that
    /// reads back to the same text.
    public static func escapedJSON(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: needsEscape) else { return json }
        var result = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            guard needsEscape(scalar) else {
                result.append(scalar)
                continue
            }
            let digits = String(scalar.value, radix: 16)
            result.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - digits.count) + digits).unicodeScalars)
        }
        return String(result)
    }

    static func escape(_ text: String, keepingLineBreaks: Bool) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            if keepingLineBreaks {
                if scalar == "\n" || scalar == "\t" {
                    result.append(scalar)
                    continue
                }
                if scalar == "\r", index + 1 < scalars.count, scalars[index + 1] == "\n" { continue }
            }
            guard needsEscape(scalar) else {
                result.append(scalar)
                continue
            }
            result.append(contentsOf: visibleEscape(of: scalar).unicodeScalars)
        }
        return String(result)
    }

    /// C0 controls, DEL, C1 controls (U+009B is a CSI to some terminals), the
    /// bidirectional embeddings, overrides, isolates and marks, the Unicode
    /// line and paragraph separators, and the invisible characters that make
    /// two names look alike (soft hyphen, zero-width space and joiners other
    /// than the one emoji need, word joiner, byte order mark).
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029,
             0x200E, 0x200F, 0x061C, 0x00AD, 0x200B, 0x2060...0x2064, 0xFEFF: true
        default: false
        }
    }

    static func visibleEscape(of scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": #"\n"#
        case "\r": #"\r"#
        case "\t": #"\t"#
        default: #"\u{"# + String(scalar.value, radix: 16, uppercase: true) + "}"
        }
    }
}
