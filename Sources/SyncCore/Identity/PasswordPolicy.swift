/// The rule a new password or passphrase must meet, shared by the server (user
/// passwords) and the laptop (the passphrase of its encrypted vault), so that
/// both refuse the same weak choices with the same words.
///
/// Length is what makes a guessed password expensive; the other rules catch
/// the long passwords that are still among the first an attacker tries.
/// Only a newly chosen password is checked: an existing one keeps working.
public struct PasswordPolicy: Sendable {
    public static let minimumLength = 12

    public enum Rejection: Error, Equatable, Sendable, CustomStringConvertible {
        case tooShort(length: Int, minimum: Int)
        case oneRepeatedCharacter
        case common

        public var description: String {
            switch self {
            case .tooShort(let length, let minimum):
                "it has \(length) characters, and at least \(minimum) are needed: a few ordinary words in a row make a good one"
            case .oneRepeatedCharacter:
                "it is one character repeated, which is among the first things tried"
            case .common:
                "it is one of the most common passwords (perhaps with digits or signs added), which are tried first"
            }
        }
    }

    /// Returns why the password is refused, or nil when it is acceptable.
    public static func check(_ password: String) -> Rejection? {
        let length = password.count
        if length < minimumLength { return .tooShort(length: length, minimum: minimumLength) }
        if let first = password.first, password.allSatisfy({ $0 == first }) { return .oneRepeatedCharacter }
        if isCommon(password) { return .common }
        return nil
    }

    /// Common passwords are usually tried in lower and capitalised form and
    /// with digits or signs appended ("Sommerfugl2024!"), so the comparison
    /// ignores case and strips digits and signs from both ends.
    static func isCommon(_ password: String) -> Bool {
        let lowered = password.lowercased()
        if commonPasswords.contains(lowered) { return true }
        let core = lowered.drop(while: isDecoration).reversed().drop(while: isDecoration).reversed()
        let coreText = String(core)
        return commonPasswords.contains(coreText) || commonWords.contains(coreText)
    }

    private static func isDecoration(_ character: Character) -> Bool {
        character.isNumber || character.isPunctuation || character.isSymbol || character.isWhitespace
    }

    /// Whole passwords of twelve or more characters that appear near the top of
    /// the published lists of leaked passwords (NCSC's "100,000 most common",
    /// SecLists' top lists), mostly keyboard walks and digit runs.
    static let commonPasswords: Set<String> = [
        "123456789012", "1234567890123", "12345678901234", "123456123456", "123123123123",
        "111111111111", "000000000000", "112233445566", "147258369000", "098765432109",
        "qwertyuiop12", "qwertyuiop123", "qwerty123456", "qwertyqwerty", "qwertyuiopasdfgh",
        "1q2w3e4r5t6y", "1q2w3e4r5t6y7u", "q1w2e3r4t5y6", "1qaz2wsx3edc", "1qaz2wsx3edc4rfv",
        "zaq12wsxcde3", "qazwsxedcrfv", "qazwsxedc123", "123qweasdzxc", "asdfghjkl123",
        "abcdefghijkl", "abc123456789", "abcd12345678", "password1234", "password12345",
        "password123!", "passwordpassword", "iloveyou1234", "letmein12345", "welcome12345",
        "administrator", "administrator1", "changeme1234", "trustno11234", "monkey123456",
    ]

    /// Words that, with digits or signs added at either end, make up a large
    /// share of leaked passwords: the English classics and their Danish
    /// counterparts, which the lists of Danish leaks show in the same places.
    static let commonWords: Set<String> = [
        "password", "passw0rd", "qwerty", "qwertyuiop", "iloveyou", "letmein", "welcome",
        "monkey", "dragon", "football", "baseball", "sunshine", "princess", "starwars",
        "whatever", "trustno", "superman", "batman", "master", "shadow", "freedom",
        "administrator", "admin", "changeme", "secret", "summer", "winter", "spring", "autumn",
        "kodeord", "adgangskode", "hemmelig", "velkommen", "sommer", "vinter", "foraar", "forår",
        "efteraar", "efterår", "sommerfugl", "fodbold", "kærlighed", "jegelskerdig", "hejmeddig",
        "danmark", "københavn", "kobenhavn", "aarhus", "odense", "aalborg", "kommune",
        "mormor", "morfar", "farmor", "farfar", "januar", "februar", "december",
    ]
}
