import Foundation

/// The languages the pages speak: Danish, the users' language, by default;
/// English for colleagues who read it better.
public enum Language: String, Sendable, CaseIterable {
    case danish = "da"
    case english = "en"

    public static let `default` = Language.danish

    /// A setting (`--language`, an environment variable): `da` or `en`, in
    /// any case, with or without a region (`da-DK`).
    public init?(setting: String) {
        let primary = setting.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map { $0.lowercased() } ?? ""
        guard let language = Language(rawValue: primary) else { return nil }
        self = language
    }

    /// The language of a page: the setting when there is one, else the one the
    /// browser ranks highest of those the pages speak (`Accept-Language` with
    /// q-values), else Danish.
    public static func negotiate(setting: Language?, acceptLanguage: String?) -> Language {
        if let setting { return setting }
        guard let acceptLanguage else { return .default }
        var best: (language: Language, quality: Double)?
        for range in acceptLanguage.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first, !tag.isEmpty else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2, pair[0].lowercased() == "q" {
                    guard let value = Double(pair[1]), (0...1).contains(value) else { quality = 0; break }
                    quality = value
                }
            }
            guard quality > 0 else { continue }
            let language = tag == "*" ? Language.default : Language(setting: tag)
            // The first of equal rank wins: browsers list their preference first.
            if let language, quality > (best?.quality ?? 0) { best = (language, quality) }
        }
        return best?.language ?? .default
    }
}
