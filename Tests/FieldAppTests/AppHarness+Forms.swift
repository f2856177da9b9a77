@testable import FieldApp
@testable import FieldKit
import Foundation
import SyncCore
import Testing

extension AppHarness {
    /// Posts a form as the browser sends it, with this session's CSRF token
    /// unless `csrf` says otherwise.
    func post(_ path: String, cookie: String, csrf: String? = nil, _ fields: KeyValuePairs<String, String>) async throws -> Answer {
        let token = csrf ?? csrfToken
        let pairs = (token.isEmpty ? [] : [("csrf", token)]) + fields.map { ($0.key, $0.value) }
        return try await request(path, method: "POST", cookie: cookie, form: pairs.map { "\($0)=\(Self.encoded($1))" }.joined(separator: "&"))
    }

    static func encoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"))!
    }

    /// The case on this laptop with that title.
    func caseID(_ title: String) async throws -> EntityID {
        try #require(try await session.replica.cases().first { Case($0)?.title == title }?.id)
    }

    /// A case as this laptop holds it, without logging a read.
    func view(_ id: EntityID) async throws -> CaseView {
        try await session.caseView(id.description)
    }

    func waitingOperations() async throws -> Int {
        try await session.replica.status().waitingOperations
    }
}
