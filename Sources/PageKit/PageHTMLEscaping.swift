import Mustache

/// How `{{ }}` escapes a value in every template of `PageRenderer`: by Unicode
/// scalar. swift-mustache's own HTML escaping compares whole characters, so a
/// quote followed by a combining mark (`"` U+0301, one character) is left as
/// it is, and a browser ends an attribute at that quote: a colleague's case
/// title or a search typed into a page could add attributes to the markup.
struct PageHTMLEscaping: MustacheContentType {
    /// The name templates are registered under (`PageRenderer` prefixes each
    /// template with this content type's pragma, partials included, since
    /// swift-mustache resets a partial to its own HTML type).
    static let name = "PAGE_HTML"
    static let pragma = "{{% CONTENT_TYPE: \(name)}}"

    func escapeText(_ text: String) -> String {
        var escaped = String()
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "&": escaped += "&amp;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
