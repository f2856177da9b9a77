import SyncCore
import Testing

/// The rule for new passwords and passphrases, shared by the server and the
/// laptop: length first, then the long passwords attackers still try first.
@Suite struct PasswordPolicyTests {
    @Test(arguments: [
        ("", PasswordPolicy.Rejection.tooShort(length: 0, minimum: 12)),
        ("kort1234", .tooShort(length: 8, minimum: 12)),
        ("elleve tegn", .tooShort(length: 11, minimum: 12)),
        // Length counts characters as a reader sees them, not bytes.
        ("æøåæøåæøåæø", .tooShort(length: 11, minimum: 12)),
        ("aaaaaaaaaaaa", .oneRepeatedCharacter),
        ("111111111111111111", .oneRepeatedCharacter),
        ("123456789012", .common),
        ("Password1234", .common),
        ("QWERTY123456", .common),
        ("1q2w3e4r5t6y", .common),
        ("Sommerfugl2024!", .common),
        ("kodeord123456", .common),
        ("!!Velkommen2025", .common),
        ("København12345", .common),
        // Letters written as digits or signs read as the word they stand for.
        ("P@ssw0rd2024", .common),
        ("K0de0rd12345", .common),
        ("abcabcabcabc", .repeatedPiece),
        ("201520152015", .repeatedPiece),
        ("839201746583", .onlyDigits),
        ("0101-90-1234-5", .onlyDigits),
    ])
    func weakChoicesAreRefusedWithTheReason(password: String, expected: PasswordPolicy.Rejection) {
        #expect(PasswordPolicy.check(password) == expected)
    }

    @Test(arguments: [
        "laptop secret",
        "hest batteri hæfteklamme",
        "Emil og Ida går i skole 🚲",
        "sommerfugl i vinterhaven",
        "2 heste og 1 batteri",
    ])
    func longUncommonChoicesAreAccepted(password: String) {
        #expect(PasswordPolicy.check(password) == nil)
    }

    @Test func theUserNameIsNotPartOfIt() {
        #expect(PasswordPolicy.check("Anna2024anna!", userName: "anna") == .containsUserName)
        #expect(PasswordPolicy.check("bo.jensen fra kontoret", userName: "bo.jensen") == .containsUserName)
        #expect(PasswordPolicy.check("4nn4!2024anna", userName: "anna") == .containsUserName)
        #expect(PasswordPolicy.check("hest batteri hæfteklamme", userName: "anna") == nil)
        // A long passphrase may name its owner among other words.
        #expect(PasswordPolicy.check("laptop secret of anna", userName: "anna") == nil)
    }

    @Test func everyRejectionSaysWhyInPlainWords() {
        for rejection in [PasswordPolicy.Rejection.tooShort(length: 5, minimum: 12), .oneRepeatedCharacter, .repeatedPiece,
                          .common, .onlyDigits, .containsUserName] {
            #expect(!rejection.description.isEmpty && !rejection.description.contains("\n"))
        }
        #expect(PasswordPolicy.Rejection.tooShort(length: 5, minimum: 12).description.contains("12"))
    }
}
