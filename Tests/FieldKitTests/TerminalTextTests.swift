import FieldKit
import Foundation
import SyncCore
import Testing

/// Text from the network is printed with its control characters made
/// visible, so that it can neither forge a line nor drive the terminal.
@Suite struct TerminalTextTests {
    /// What must never reach a terminal as it is.
    static func isDangerous(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    @Test func anEscapeSequenceAndALineBreakInATitleArePrintedEscaped() {
        let title = "Familien \u{1B}[31mHolm\nfield: signed out"
        let shown = TerminalText.escaped(title)
        #expect(shown == #"Familien \u{1B}[31mHolm\nfield: signed out"#)
        #expect(!shown.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
    }

    @Test func ordinaryDanishTextAndEmojiAreUnchanged() {
        for text in ["Første besøg hos familien Ærø-Åberg", "Emil 🚲 vil gerne blive på skolen 👍🏽", "Sagsbehandler: Mette Ø. Jørgensen",
                     "Ægteskab, søskende og bedsteforældre", "C:\\sager\\holm", "👨‍👩‍👧"] {
            #expect(TerminalText.escaped(text) == text)
            #expect(TerminalText.escapedBlock(text) == text)
        }
    }

    @Test func everyControlAndBidirectionalOverrideIsEscaped() {
        for value in UInt32(0)...0x2100 {
            guard let scalar = Unicode.Scalar(value), Self.isDangerous(scalar) else { continue }
            let shown = TerminalText.escaped("a\(Character(scalar))b")
            #expect(!shown.unicodeScalars.contains(scalar), "U+\(String(value, radix: 16)) was printed as it is")
            #expect(shown.hasPrefix("a\\") && shown.hasSuffix("b"))
        }
        // A right-to-left override would show "fdp.exe" reversed as something else.
        #expect(TerminalText.escaped("note\u{202E}fdp.exe") == #"note\u{202E}fdp.exe"#)
        // Invisible marks that make two names look the same are shown too.
        #expect(TerminalText.escaped("an\u{200B}na") == #"an\u{200B}na"#)
        #expect(TerminalText.escaped("an\u{200F}na\u{00AD}") == #"an\u{200F}na\u{AD}"#)
        #expect(TerminalText.escaped("\u{9B}31m") == #"\u{9B}31m"#)
    }

    @Test func jsonOutputEscapesTheSameCharactersAndStaysTheSameJSON() throws {
        let value: JSONValue = ["title": .string("Familien \u{1B}[31mHolm\u{9B}2J \u{202E}æøå 👍\u{7F}")]
        let printed = TerminalText.escapedJSON(String(decoding: OperationCodec.canonicalBytes(value), as: UTF8.self))
        #expect(!printed.unicodeScalars.contains { Self.isDangerous($0) })
        #expect(printed.contains(#"\u009b"#) && printed.contains("æøå 👍"))
        #expect(try OperationCodec.parse(Data(printed.utf8), path: "") == value)
    }

    @Test func aNoteBodyKeepsItsLinesButNotItsEscapes() {
        let body = "Mor deltog.\r\nFar deltog telefonisk.\n\tAftale: nyt møde.\u{1B}[2J\rfield: forged"
        #expect(TerminalText.escapedBlock(body) == "Mor deltog.\nFar deltog telefonisk.\n\tAftale: nyt møde.\\u{1B}[2J\\rfield: forged")
    }
}
