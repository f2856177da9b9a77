import Hummingbird
import Synchronization

/// The methods each path with a fixed name answers, read from the router
/// itself once every route is added, so that no table of paths can fall out
/// of step with the routes: another method on such a path is a 405 with
/// `Allow`, not a 404.
final class AllowedMethods: Sendable {
    private let table = Mutex<[String: [HTTPRequest.Method]]>([:])

    /// `Allow` lists methods in this order (GET before POST and DELETE).
    private static let order: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete]

    func record<Context: RequestContext>(_ router: Router<Context>) {
        var methods: [String: Set<HTTPRequest.Method>] = [:]
        for route in router.routes {
            let path = String(route.path.description.drop { $0 == "/" })
            // Paths that capture (`cases/:case`) are matched by no fixed name.
            guard !path.contains(where: { "{}*!".contains($0) }) else { continue }
            methods[path, default: []].insert(route.method)
        }
        let table = methods.mapValues { found in
            Self.order.filter(found.contains) + found.subtracting(Self.order).sorted { $0.rawValue < $1.rawValue }
        }
        self.table.withLock { $0 = table }
    }

    /// The methods `path` (without its leading `/`) answers, or nil if no route has that fixed name.
    func callAsFunction(_ path: String) -> [HTTPRequest.Method]? {
        table.withLock { $0[path] }
    }
}
