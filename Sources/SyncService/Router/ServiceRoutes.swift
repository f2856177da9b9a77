import Foundation
import Hummingbird
import NIOCore
import SyncCore
import SyncPersistence

/// Health, metrics and the API description.
struct ServiceRoutes {
    let database: ServerDatabase

    func addRoutes(to router: Router<SyncRequestContext>) {
        router.get("health") { _, _ in
            let operations = try await database.operationCount()
            return Response.json(["status": "ok", "operations": .integer(Int64(operations))])
        }
        router.get("metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers,
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: SyncMetrics.registry.emitToBuffer())))
        }
        router.get("openapi.json") { _, _ in
            Response.json(OpenAPIDocument.data)
        }
    }
}

enum OpenAPIDocument {
    static let data: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
              let data = try? Data(contentsOf: url)
        else { return Data(#"{"openapi":"3.1.0","info":{"title":"missing","version":"0"},"paths":{}}"#.utf8) }
        return data
    }()
}

extension ServerDatabase {
    public func operationCount() async throws -> Int {
        try await writer.read { db in try SyncPersistence.OperationLog.count(in: db) }
    }
}
