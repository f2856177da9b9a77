import Foundation
import Hummingbird
import NIOCore
import SyncCore

/// Device login and logout (Protocol.md §10.2).
struct DeviceRoutes {
    let database: ServerDatabase
    let signIn: SignInGuard

    func addPublicRoutes(to router: Router<SyncRequestContext>) {
        router.post("v1/devices") { request, context in try await login(request, context: context) }
    }

    func addAuthenticatedRoutes(to group: RouterGroup<SyncRequestContext>) {
        group.get("devices/current") { _, context in
            Response.json(try await database.deviceState(try context.requireDevice()).encoded())
        }
        group.delete("devices/current") { _, context in
            try await database.logout(try context.requireDevice())
            return Response(status: .noContent)
        }
    }

    func login(_ request: Request, context: SyncRequestContext) async throws -> Response {
        let body = try DeviceSignIn.decode(try await request.jsonBody(limit: RequestLimits.maximumLoginBodyBytes))
        if let resume = body.resume, let refusal = try await database.resumeRefusal(resume, user: body.user) { throw refusal }
        let registered = try await signIn.attempt(user: body.user, source: signIn.source(of: request, context: context), via: nil) {
            try await database.registerDevice(user: body.user, password: body.password, deviceName: body.deviceName, resume: body.resume)
        } failed: { $0 == nil }
        guard let (device, token) = registered else {
            throw Problem(.unauthorized, code: "invalid-credentials", title: "Sign-in failed",
                          detail: "the user name or password is wrong, or the user was removed")
        }
        let answer = DeviceSignInAnswer(device: device.replica, token: token, user: device.user.name, role: device.role.rawValue,
                                        serverTime: database.now)
        return .json(answer.encoded(), status: .created)
    }
}

extension Response {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        json(OperationCodec.canonicalBytes(value), status: status)
    }

    static func json(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
    }
}

