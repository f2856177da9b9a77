import Hummingbird
import HummingbirdTesting
import ReviewPages
import SyncService
import Testing

/// The router mounts the web front ends `buildApplication` is given, and only
/// the paths under a mounted front end's prefix get its pages.
@Suite struct WebFrontEndTests {
    @Test func aPathThatOnlyBeginsLikeAFrontEndsGetsAProblemDocument() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var browser = ReviewBrowser()
            let page = try await browser.get("/review/nothing-here", via: client)
            #expect(page.status == .notFound && page.html.contains("There is no page at /review/nothing-here"))
            let neighbour = try await client.call(.get, "/reviewer")
            #expect(neighbour.status == .notFound && neighbour.problemCode == "not-found", "\(neighbour.raw)")
        }
    }

    @Test func aServerWithoutTheReviewPagesAnswersTheirPathsWithProblemDocuments() async throws {
        let database = try ServerDatabase.inMemory()
        let app = Application(router: buildRouter(database: database, frontEnds: []))
        try await app.test(.router) { client in
            let signIn = try await client.call(.get, "/review/sign-in")
            #expect(signIn.status == .notFound && signIn.problemCode == "not-found", "\(signIn.raw)")
            let health = try await client.call(.get, "/health")
            #expect(health.status == .ok, "the sync API stands without any front end")
        }
    }
}
