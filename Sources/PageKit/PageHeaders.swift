import HTTPTypes
import Hummingbird

/// The headers every page, stylesheet, redirect and error is sent with.
public enum PageHeaders {
    /// Nothing loaded from anywhere but this server, no script and no inline
    /// style at all, no framing (clickjacking), no caching of case data on
    /// disk, no guessing of content types, and no page address (case ids)
    /// sent to another site.
    public static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// For the few pages that need the front end's own script (the note
    /// form's autosave): scripts from this server only, never inline ones,
    /// and requests (`fetch`, `sendBeacon`) back to this server only. Every
    /// other page keeps `contentSecurityPolicy`, without any script.
    public static let scriptingContentSecurityPolicy = contentSecurityPolicy + "; script-src 'self'; connect-src 'self'"

    public static func secured(contentType: String, contentSecurityPolicy: String = contentSecurityPolicy) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        // Same-origin rather than no-referrer: under no-referrer browsers send
        // `Origin: null` with the page's own forms, which `PageOriginCheck` refuses.
        headers[referrerPolicy] = "same-origin"
        return headers
    }

    public static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    /// 303 to `location`: after a form, the browser loads the page with GET.
    public static func redirect(to location: String) -> Response {
        var headers = secured(contentType: "text/plain; charset=utf-8")
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }
}
