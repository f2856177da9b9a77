import Foundation
import PageKit

/// The review pages' templates and stylesheet (Resources/Templates) and the
/// words of PageKit's refusals (Resources/Catalogues), loaded once.
///
/// The pages themselves are still written in English in their templates;
/// the refusals come from the catalogue in English too, so that a page never
/// mixes two languages.
enum ReviewRenderer {
    static let shared = PageRenderer(bundle: .module)
    static let catalogues = Catalogues(bundle: .module)
    static let language = Language.english
}
