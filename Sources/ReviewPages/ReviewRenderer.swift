import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import NIOCore
import SyncService

/// The review pages' mustache templates (Resources/Templates), loaded once.
///
/// Every value is inserted with `{{ }}`, which HTML-escapes it (quotes too, so
/// values are safe inside attributes); no template uses `{{{ }}}`.
struct ReviewRenderer: Sendable {
    let library: MustacheLibrary
    let stylesheet: String

    static let shared = ReviewRenderer()

    init() {
        var library = MustacheLibrary()
        var stylesheet = ""
        if let directory = Bundle.module.url(forResource: "Templates", withExtension: nil),
           let files = try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil) {
            for file in files {
                guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
                switch file.pathExtension {
                case "mustache":
                    do {
                        try library.register(text, named: file.deletingPathExtension().lastPathComponent)
                    } catch {
                        Logger(label: "review").error("template does not parse", metadata: ["file": "\(file.lastPathComponent)", "error": "\(error)"])
                    }
                case "css": stylesheet = text
                default: continue
                }
            }
        }
        self.library = library
        self.stylesheet = stylesheet
    }

    /// The headers of every review page: no caching of case data, no framing,
    /// nothing loaded from anywhere but this server.
    static func pageHeaders(contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        // No page address (case ids) goes to another site; same-origin rather
        // than no-referrer, under which browsers send `Origin: null` with the
        // page's own forms and `ReviewOriginCheck` would refuse them.
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return headers
    }

    func page(_ template: String, _ model: Any, status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(model, withTemplate: template) ?? "<!doctype html><title>Error</title><p>The page template \(template) is missing.</p>"
        return Response(status: status, headers: Self.pageHeaders(contentType: "text/html; charset=utf-8"),
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(to location: String) -> Response {
        var headers = pageHeaders(contentType: "text/plain; charset=utf-8")
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }
}

/// What every page's header and navigation needs.
struct PageChrome: Sendable {
    let title: String
    /// Nil on pages shown to someone not signed in.
    let signedIn: SignedIn?

    struct SignedIn: Sendable {
        let user: String
        let role: String
        let csrf: String
    }

    init(_ title: String, session: ReviewSession?) {
        self.title = title
        signedIn = session.map { SignedIn(user: $0.user.name, role: $0.role.rawValue, csrf: $0.csrfToken) }
    }
}
