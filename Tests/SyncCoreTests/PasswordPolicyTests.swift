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
    ])
    func weakChoicesAreRefusedWithTheReason(password: String, expected: PasswordPolicy.Rejection) {
        #expect(PasswordPolicy.check(password) == expected)
    }

    @Test(arguments: [
        "laptop secret",
        "hest batteri hæfteklamme",
        "Emil og Ida går i skole 🚲",
        "sommerfugl i vinterhaven",
        "839201746583",
    ])
    func longUncommonChoicesAreAccepted(password: String) {
        #expect(PasswordPolicy.check(password) == nil)
    }

    @Test func everyRejectionSaysWhyInPlainWords() {
        for rejection in [PasswordPolicy.Rejection.tooShort(length: 5, minimum: 12), .oneRepeatedCharacter, .common] {
            #expect(!rejection.description.isEmpty && !rejection.description.contains("\n"))
        }
        #expect(PasswordPolicy.Rejection.tooShort(length: 5, minimum: 12).description.contains("12"))
    }
}
