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
            Response.json(try await database.deviceState(try context.requireDevice()))
        }
        group.delete("devices/current") { _, context in
            try await database.logout(try context.requireDevice())
            return Response(status: .noContent)
        }
    }

    func login(_ request: Request, context: SyncRequestContext) async throws -> Response {
        let body = try await request.jsonBody(limit: RequestLimits.maximumLoginBodyBytes)
        guard case .object(let members) = body else {
            throw Problem.badRequest("wrong-type", "the body must be a JSON object with user, password and deviceName")
        }
        if let unknown = members.keys.first(where: { !["user", "password", "deviceName", "resume"].contains($0) }) {
            throw Problem.badRequest("unknown-member", "unknown member \"\(unknown)\"", path: unknown)
        }
        func text(_ name: String, maximum: Int) throws(Problem) -> String {
            guard let value = members[name] else { throw Problem.badRequest("missing-member", "missing member \"\(name)\"", path: name) }
            // Bytes, not characters: one letter with thousands of combining
            // marks is one character and would fill the audit log.
            guard case .string(let text) = value, !text.isEmpty, text.utf8.count <= maximum else {
                throw Problem.badRequest("wrong-type", "\"\(name)\" must be a non-empty string of at most \(maximum) bytes", path: name)
            }
            return text
        }
        let user = try text("user", maximum: UserID.maximumLength)
        let password = try text("password", maximum: 1024)
        let deviceName = try text("deviceName", maximum: 200)
        let resume = members["resume"] == nil ? nil : try text("resume", maximum: 200)
        if let resume, let refusal = try await database.resumeRefusal(resume, user: user) { throw refusal }
        let registered: (device: AuthenticatedDevice, token: String)?
        do {
            registered = try await signIn.attempt(user: user, source: signIn.source(of: request, context: context), via: nil) {
                try await database.registerDevice(user: user, password: password, deviceName: deviceName, resume: resume)
            } failed: { $0 == nil }
        } catch let refusal as SignInRefusal {
            throw Problem.signInRefused(refusal)
        }
        guard let (device, token) = registered else {
            throw Problem(.unauthorized, code: "invalid-credentials", title: "Sign-in failed",
                          detail: "the user name or password is wrong, or the user was removed")
        }
        let document: JSONValue = [
            "device": .string(device.replica.description), "token": .string(token), "user": .string(device.user.name),
            "role": .string(device.role.rawValue), "serverTime": .integer(database.now),
        ]
        return .json(document, status: .created)
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

