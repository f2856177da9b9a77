import PageKit
import SyncCore

/// One field of a form as a page shows it: the value to fill in (what was
/// entered, when the form comes back with an error) and what is wrong with
/// it, in the page's language.
struct FormInput: Sendable {
    let value: String
    let error: String?
}

/// One option of a select, the entered or stored one selected.
struct FormChoice: Sendable {
    let value: String
    let label: String
    let selected: Bool
}

/// The checks of one posted form: each failed check puts its message next to
/// the field it is about, and the form is shown again with every value kept.
struct FormCheck {
    let language: Language
    private(set) var errors: [String: String] = [:]

    init(_ language: Language) {
        self.language = language
    }

    var passed: Bool { errors.isEmpty }

    /// Records the first thing wrong with `field`: later ones would only
    /// repeat that it needs fixing.
    mutating func fail(_ field: String, _ key: String, _ arguments: String...) {
        guard errors[field] == nil else { return }
        errors[field] = AppRoutes.catalogues.text(key, language, arguments: arguments)
    }

    func input(_ field: String, _ value: String?) -> FormInput {
        FormInput(value: value ?? "", error: errors[field])
    }

    /// The entered text, or nil with an error when it is blank.
    mutating func required(_ field: String, _ value: String?, _ key: String) -> String? {
        guard let text = value.nonBlank else {
            fail(field, key)
            return nil
        }
        return text
    }

    /// A day as a date field sends it (`YYYY-MM-DD`), nil with an error when
    /// it is not one. Blank is nil without an error: the caller knows whether
    /// the date is needed.
    mutating func date(_ field: String, _ value: String?) -> CalendarDate? {
        guard let text = value.nonBlank else { return nil }
        guard let date = CalendarDate(text) else {
            fail(field, "formDateInvalid", text)
            return nil
        }
        return date
    }
}
