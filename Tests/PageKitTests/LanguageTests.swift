import PageKit
import Testing

@Suite struct LanguageTests {
    @Test(arguments: [
        (nil, Language.danish),
        ("", .danish),
        ("da", .danish),
        ("en", .english),
        ("en-GB,en;q=0.9,da;q=0.8", .english),
        ("da-DK,da;q=0.9,en-US;q=0.8,en;q=0.7", .danish),
        // The highest q wins, wherever it stands.
        ("en;q=0.4, da;q=0.9", .danish),
        ("da;q=0.2, en;q=0.8", .english),
        // Languages the pages do not speak are passed over.
        ("de-DE,de;q=0.9,en;q=0.5", .english),
        ("sv, nb;q=0.9", .danish),
        // q=0 means "not this one".
        ("en;q=0, de", .danish),
        ("*", .danish),
        // Equal rank: the browser's first choice.
        ("en, da", .english),
        // A broken q-value counts for nothing rather than for 1.
        ("en;q=abc, da;q=0.1", .danish),
        ("EN-gb", .english),
    ] as [(String?, Language)])
    func acceptLanguageChoosesTheBrowsersBestOfDanishAndEnglish(header: String?, expected: Language) {
        #expect(Language.negotiate(setting: nil, acceptLanguage: header) == expected)
    }

    @Test func aSettingWinsOverTheBrowser() {
        #expect(Language.negotiate(setting: .english, acceptLanguage: "da") == .english)
        #expect(Language.negotiate(setting: .danish, acceptLanguage: "en") == .danish)
    }

    @Test func settingsAreReadWithOrWithoutARegion() {
        #expect(Language(setting: "da") == .danish)
        #expect(Language(setting: "EN") == .english)
        #expect(Language(setting: "da_DK") == .danish)
        #expect(Language(setting: "de") == nil)
        #expect(Language(setting: "") == nil)
    }
}
