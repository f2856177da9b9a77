import Foundation
import Hummingbird
import Logging
import Mustache
import NIOCore

/// The mustache templates and stylesheets of one web front end, loaded once
/// from a directory of the bundle the front end passes (its own resources).
///
/// Every value is inserted with `{{ }}`, which HTML-escapes it scalar by
/// scalar (`PageHTMLEscaping`; quotes too, so values are safe inside quoted
/// attributes); templates never use `{{{ }}}`.
public struct PageRenderer: Sendable {
    public let library: MustacheLibrary
    /// Stylesheets by file name (`app.css`), served by the front end itself:
    /// the Content-Security-Policy forbids inline style.
    public let stylesheets: [String: String]
    /// Scripts by file name (`app.js`), served by the front end itself: the
    /// Content-Security-Policy forbids inline script.
    public let scripts: [String: String]
    /// Images by file name (`favicon.svg`), served by the front end itself.
    public let images: [String: String]
    /// The templates' source text by name, for the tests that check every
    /// catalogue key a template names exists.
    public let templateSources: [String: String]

    public init(bundle: Bundle, directory: String = "Templates") {
        var library = MustacheLibrary()
        var stylesheets: [String: String] = [:]
        var scripts: [String: String] = [:]
        var images: [String: String] = [:]
        var sources: [String: String] = [:]
        let logger = Logger(label: "pages")
        MustacheContentTypes.register(PageHTMLEscaping(), named: PageHTMLEscaping.name)
        if let url = bundle.url(forResource: directory, withExtension: nil),
           let files = try? FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil) {
            for file in files {
                guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
                switch file.pathExtension {
                case "mustache":
                    let name = file.deletingPathExtension().lastPathComponent
                    sources[name] = text
                    do {
                        try library.register(PageHTMLEscaping.pragma + text, named: name)
                    } catch {
                        logger.error("template does not parse", metadata: ["file": "\(file.lastPathComponent)", "error": "\(error)"])
                    }
                case "css": stylesheets[file.lastPathComponent] = text
                case "js": scripts[file.lastPathComponent] = text
                case "svg": images[file.lastPathComponent] = text
                default: continue
                }
            }
        } else {
            logger.error("no templates in the bundle", metadata: ["directory": "\(directory)"])
        }
        self.library = library
        self.stylesheets = stylesheets
        self.scripts = scripts
        self.images = images
        templateSources = sources
    }

    /// The HTML of a template, or nil when no template has that name.
    public func html(_ template: String, _ model: Any) -> String? {
        library.render(model, withTemplate: template)
    }

    /// `contentSecurityPolicy`: `PageHeaders.scriptingContentSecurityPolicy`
    /// for a page that loads one of `scripts`, else the default without script.
    public func page(
        _ template: String, _ model: Any, status: HTTPResponse.Status = .ok,
        contentSecurityPolicy: String = PageHeaders.contentSecurityPolicy
    ) -> Response {
        let html = html(template, model) ?? "<!doctype html><title>Error</title><p>The page template \(template) is missing.</p>"
        return Response(status: status, headers: PageHeaders.secured(contentType: "text/html; charset=utf-8",
                                                                     contentSecurityPolicy: contentSecurityPolicy),
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// A stylesheet as a response, or 404 for a name there is none of.
    public func stylesheet(_ name: String) -> Response {
        guard let css = stylesheets[name] else {
            return Response(status: .notFound, headers: PageHeaders.secured(contentType: "text/plain; charset=utf-8"))
        }
        return Response(status: .ok, headers: PageHeaders.secured(contentType: "text/css; charset=utf-8"),
                        body: ResponseBody(byteBuffer: ByteBuffer(string: css)))
    }

    /// An SVG image (the front end's icon) as a response, or 404 for a name
    /// there is none of.
    public func image(_ name: String) -> Response {
        guard let svg = images[name] else {
            return Response(status: .notFound, headers: PageHeaders.secured(contentType: "text/plain; charset=utf-8"))
        }
        return Response(status: .ok, headers: PageHeaders.secured(contentType: "image/svg+xml"),
                        body: ResponseBody(byteBuffer: ByteBuffer(string: svg)))
    }

    /// A script as a response, or 404 for a name there is none of.
    public func script(_ name: String) -> Response {
        guard let script = scripts[name] else {
            return Response(status: .notFound, headers: PageHeaders.secured(contentType: "text/plain; charset=utf-8"))
        }
        return Response(status: .ok, headers: PageHeaders.secured(contentType: "text/javascript; charset=utf-8"),
                        body: ResponseBody(byteBuffer: ByteBuffer(string: script)))
    }
}
