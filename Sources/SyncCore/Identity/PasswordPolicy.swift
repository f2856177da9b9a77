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
        /// A short piece said again and again: "abcabcabcabc", "20152015…".
        case repeatedPiece
        case common
        /// Digits only: dates, personal numbers (CPR) and phone numbers are
        /// guessed long before twelve random digits are.
        case onlyDigits
        /// The user's own name is the first thing tried.
        case containsUserName

        public var description: String {
            switch self {
            case .tooShort(let length, let minimum):
                "it has \(length) characters, and at least \(minimum) are needed: a few ordinary words in a row make a good one"
            case .oneRepeatedCharacter:
                "it is one character repeated, which is among the first things tried"
            case .repeatedPiece:
                "it is a short piece repeated, which is tried as early as the piece itself"
            case .common:
                "it is one of the most common passwords (perhaps with digits or signs added, or letters written as digits), which are tried first"
            case .onlyDigits:
                "it has digits only, like a date, a personal number or a phone number, which are tried early: use words"
            case .containsUserName:
                "it contains the user name, which is tried first"
            }
        }
    }

    /// Returns why the password is refused, or nil when it is acceptable.
    /// `userName`, when given, may not appear in it.
    public static func check(_ password: String, userName: String? = nil) -> Rejection? {
        let length = password.count
        if length < minimumLength { return .tooShort(length: length, minimum: minimumLength) }
        if let first = password.first, password.allSatisfy({ $0 == first }) { return .oneRepeatedCharacter }
        if isRepeatedPiece(password.lowercased()) { return .repeatedPiece }
        if isCommon(password) { return .common }
        if password.allSatisfy({ $0.isNumber || $0.isWhitespace || $0.isPunctuation || $0.isSymbol }) { return .onlyDigits }
        if let userName, isMostlyName(password, userName) { return .containsUserName }
        return nil
    }

    /// Whether the password is the user name with too little else: what is
    /// left without the name (letters and digits, look-alikes read as
    /// letters) is shorter than `minimumLength`.
    static func isMostlyName(_ password: String, _ userName: String) -> Bool {
        let name = String(userName.lowercased().filter { $0.isLetter || $0.isNumber })
        guard name.count >= 3 else { return false }
        let plain = unleet(String(password.lowercased().filter { $0.isLetter || $0.isNumber || "@$".contains($0) }))
        guard plain.contains(name) else { return false }
        return plain.replacingOccurrences(of: name, with: "").count < minimumLength
    }

    /// Whether the text is one piece of one to six characters said again and
    /// again (possibly cut short at the end).
    static func isRepeatedPiece(_ text: String) -> Bool {
        let characters = Array(text)
        return (1...min(6, characters.count / 2)).contains { period in
            characters.indices.allSatisfy { characters[$0] == characters[$0 % period] }
        }
    }

    /// Common passwords are usually tried in lower and capitalised form, with
    /// digits or signs appended ("Sommerfugl2024!") and with letters written
    /// as look-alike digits or signs ("P@ssw0rd"), so the comparison ignores
    /// case, strips digits and signs from both ends, and reads 0 as o, 1 as i
    /// or l, 3 as e, 4 and @ as a, 5 and $ as s, 7 as t.
    static func isCommon(_ password: String) -> Bool {
        let lowered = password.lowercased()
        if commonPasswords.contains(lowered) { return true }
        let core = lowered.drop(while: isDecoration).reversed().drop(while: isDecoration).reversed()
        let coreText = String(core)
        if commonPasswords.contains(coreText) || commonWords.contains(coreText) { return true }
        return commonWords.contains(unleet(coreText)) || commonWords.contains(unleet(coreText, one: "l"))
    }

    static func unleet(_ text: String, one: Character = "i") -> String {
        String(text.map { character -> Character in
            switch character {
            case "0": "o"
            case "1": one
            case "3": "e"
            case "4", "@": "a"
            case "5", "$": "s"
            case "7": "t"
            default: character
            }
        })
    }

    private static func isDecoration(_ character: Character) -> Bool {
        character.isNumber || character.isPunctuation || character.isSymbol || character.isWhitespace
    }

    /// Whole passwords of twelve or more characters of the kinds that lead the
    /// published lists of leaked passwords: digit runs, keyboard walks and
    /// their extensions to twelve characters. (A common word with digits
    /// added, such as "password1234", is caught by `commonWords`.)
    static let commonPasswords: Set<String> = [
        "123456789012", "1234567890123", "12345678901234", "123456123456", "123123123123",
        "111111111111", "000000000000", "112233445566", "121212121212", "123321123321",
        "qwertyuiop12", "qwertyuiop123", "qwerty123456", "qwertyqwerty", "qwertyuiopasdfgh",
        "1q2w3e4r5t6y", "1q2w3e4r5t6y7u", "q1w2e3r4t5y6", "1qaz2wsx3edc", "1qaz2wsx3edc4rfv",
        "zaq12wsxcde3", "qazwsxedcrfv", "qazwsxedc123", "123qweasdzxc", "asdfghjkl123",
        "abcdefghijkl", "abc123456789", "abcd12345678", "passwordpassword",
    ]

    /// Words that people build passwords from by adding digits or signs:
    /// the English ones at the top of the leaked lists, and the Danish words
    /// a Danish user reaches for the same way (the word for password, seasons,
    /// greetings, family, the country and its cities).
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
