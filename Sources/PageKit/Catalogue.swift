import Foundation
import Logging

/// The words of a front end's pages, one catalogue per language: a JSON
/// object of key and text (`da.json`, `en.json`) in a directory of the front
/// end's bundle. Templates read them as `{{t.key}}`.
public struct Catalogues: Sendable {
    public let texts: [Language: [String: String]]

    public init(bundle: Bundle, directory: String = "Catalogues") {
        var texts: [Language: [String: String]] = [:]
        for language in Language.allCases {
            guard let url = bundle.url(forResource: language.rawValue, withExtension: "json", subdirectory: directory)
                ?? bundle.url(forResource: directory, withExtension: nil)?.appendingPathComponent("\(language.rawValue).json"),
                let data = try? Data(contentsOf: url),
                let catalogue = try? JSONDecoder().decode([String: String].self, from: data)
            else {
                Logger(label: "pages").error("no language catalogue", metadata: ["language": "\(language.rawValue)"])
                continue
            }
            texts[language] = catalogue
        }
        self.texts = texts
    }

    /// Every text of a language, to hand to a template as `t`.
    public func texts(for language: Language) -> [String: String] {
        texts[language] ?? [:]
    }

    /// One text, its `{1}`, `{2}`… replaced by `arguments`; a key missing
    /// from the catalogue shows as itself, which the tests do not let pass.
    public func text(_ key: String, _ language: Language, _ arguments: String...) -> String {
        text(key, language, arguments: arguments)
    }

    public func text(_ key: String, _ language: Language, arguments: [String]) -> String {
        var text = texts[language]?[key] ?? key
        for (index, argument) in arguments.enumerated() {
            text = text.replacingOccurrences(of: "{\(index + 1)}", with: argument)
        }
        return text
    }
}
