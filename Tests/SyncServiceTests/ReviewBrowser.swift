import Foundation
import Hummingbird
import HummingbirdTesting
import SyncCore
import Testing

/// A browser on the review pages: keeps the cookies the server sets, sends
/// forms URL-encoded, and reads the CSRF token out of the last page.
struct ReviewBrowser: Sendable {
    var cookies: [String: String] = [:]
    var lastPage = ""
    /// Sent as `Origin` on every POST, as browsers do; nil sends none (curl).
    var origin: String?
    /// Whether a `503` page is an answer the test expects (a full disk).
    var acceptsUnavailable = false

    struct Page: @unchecked Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let html: String

        var location: String? { headers[.location] }
        var setCookies: [String] { headers[values: .setCookie] }

        /// The value of the first hidden csrf field.
        var csrf: String? {
            guard let start = html.range(of: #"name="csrf" value=""#) else { return nil }
            return String(html[start.upperBound...].prefix { $0 != "\"" })
        }
    }

    mutating func get(_ uri: String, via client: any TestClientProtocol) async throws -> Page {
        try await send(.get, uri, body: nil, via: client)
    }

    mutating func post(_ uri: String, form: [(String, String)], via client: any TestClientProtocol) async throws -> Page {
        try await send(.post, uri, body: Self.encode(form), via: client)
    }

    /// Signs in through the sign-in form, as a person would.
    @discardableResult
    mutating func signIn(_ user: String, password: String = ServerHarness.password, via client: any TestClientProtocol) async throws -> Page {
        let form = try await get("/review/sign-in", via: client)
        let token = try #require(form.csrf)
        return try await post("/review/sign-in", form: [("csrf", token), ("user", user), ("password", password)], via: client)
    }

    private mutating func send(_ method: HTTPRequest.Method, _ uri: String, body: String?, via client: any TestClientProtocol) async throws -> Page {
        var headers = HTTPFields()
        if !cookies.isEmpty {
            headers[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        if body != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        if method != .get, let origin { headers[.origin] = origin }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        let page = Page(status: response.status, headers: response.headers, html: String(buffer: response.body))
        #expect(page.status.code < 500 || (acceptsUnavailable && page.status == .serviceUnavailable),
                "\(method) \(uri) answered \(page.status): \(page.html)")
        if uri.hasPrefix("/review"), page.status.code >= 400 {
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true, "an error on a review page is an HTML page")
        }
        for header in page.setCookies {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let (name, value) = (String(pair[0]), pair.count > 1 ? String(pair[1]) : "")
            let maxAgeZero = header.contains("Max-Age=0")
            if value.isEmpty || maxAgeZero { cookies.removeValue(forKey: name) } else { cookies[name] = value }
        }
        if page.headers[.contentType]?.hasPrefix("text/html") == true { lastPage = page.html }
        return page
    }

    static func encode(_ form: [(String, String)]) -> String {
        // ASCII only: CharacterSet.alphanumerics would let "å" through unencoded.
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return form.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }
}
