import Foundation
import HummingbirdTesting
import SyncCore
import SyncService
import Testing

/// Every endpoint against every role, and against members and non-members of
/// a case. Access is checked against the case, not only the route.
@Suite struct AuthorizationMatrixTests {
    enum Caller: String, CaseIterable, Sendable {
        case member, nonMember, supervisor, admin, anonymous, revoked
    }

    enum Endpoint: String, CaseIterable, Sendable {
        case writeExistingCase, createCase, changeMembership, resolveConflict, pullCase
        case listConflicts, listCaseConflicts, readAudit, readCaseAudit, logout, health, openapi, metrics
    }

    /// What each caller may do: true means allowed (2xx), false a 401/403.
    static func allowed(_ caller: Caller, _ endpoint: Endpoint) -> Bool {
        switch endpoint {
        case .health, .openapi, .metrics: return true
        default: break
        }
        switch caller {
        case .anonymous, .revoked: return false
        case .supervisor, .admin: return true
        case .member:
            return [.writeExistingCase, .createCase, .pullCase, .logout].contains(endpoint)
        case .nonMember:
            return [.createCase, .logout].contains(endpoint)
        }
    }

    @Test(arguments: Caller.allCases, Endpoint.allCases)
    func accessFollowsRoleAndMembership(caller: Caller, endpoint: Endpoint) async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            // Anna owns a case with a conflict in it.
            var anna = try await client.login("anna")
            var dorte = try await client.login("dorte")
            let caseOps = try anna.newCase(title: "Familien Holm")
            let caseID = caseOps[0].entity
            _ = try await anna.push(caseOps, via: client)
            _ = try await dorte.pull(via: client)
            _ = try await anna.push([try anna.write { a, s, _ in try a.set(Case.Field.title, to: "A", on: s.entity(caseID)!) }], via: client)
            _ = try await dorte.push([try dorte.write { a, s, _ in try a.set(Case.Field.title, to: "D", on: s.entity(caseID)!) }], via: client)

            var laptop: Laptop?
            switch caller {
            case .member: laptop = try await client.login("anna")
            case .nonMember: laptop = try await client.login("bo")
            case .supervisor: laptop = try await client.login("dorte")
            case .admin: laptop = try await client.login("root")
            case .anonymous: laptop = nil
            case .revoked:
                laptop = try await client.login("anna")
                try await harness.database.revokeDevice(laptop!.author.replica.description)
            }
            let token = laptop?.token
            var device: Laptop
            if let laptop { device = laptop } else { device = try await client.login("bo") }
            if caller != .anonymous && caller != .revoked { _ = try await device.pull(via: client) }
            device.state = anna.state
            let conflict = anna.state.conflicts(inCase: caseID).first
            _ = try await anna.pull(via: client)

            let reply: Reply
            switch endpoint {
            case .writeExistingCase:
                let note = try device.newNote(in: caseID, body: "note")
                reply = try await client.call(.post, "/v1/push", token: token, document: Laptop.pushBody(note, batch: "w"))
            case .createCase:
                let ops = try device.newCase(title: "new")
                reply = try await client.call(.post, "/v1/push", token: token, document: Laptop.pushBody(ops, batch: "c"))
            case .changeMembership:
                let op = try device.write { a, s, _ in try a.add("bo", to: Case.Field.members, on: s.entity(caseID)!) }
                reply = try await client.call(.post, "/v1/push", token: token, document: Laptop.pushBody([op], batch: "m"))
            case .resolveConflict:
                let record = try #require(anna.state.conflicts(inCase: caseID).first ?? conflict)
                let op = try device.write { a, _, _ in try a.resolve(record, with: "A", reason: "test") }
                reply = try await client.call(.post, "/v1/push", token: token, document: Laptop.pushBody([op], batch: "r"))
            case .pullCase:
                reply = try await client.call(.get, "/v1/pull", token: token)
                if reply.status == .ok {
                    let sent = try reply.page().operations.map(\.caseID.description)
                    #expect(sent.contains(caseID.description) == Self.allowed(caller, endpoint),
                            "\(caller) pulling: case sent = \(sent.contains(caseID.description))")
                    return
                }
            case .listConflicts: reply = try await client.call(.get, "/v1/conflicts", token: token)
            case .listCaseConflicts: reply = try await client.call(.get, "/v1/conflicts?case=\(caseID)", token: token)
            case .readAudit: reply = try await client.call(.get, "/v1/audit", token: token)
            case .readCaseAudit: reply = try await client.call(.get, "/v1/audit?case=\(caseID)", token: token)
            case .logout: reply = try await client.call(.delete, "/v1/devices/current", token: token)
            case .health: reply = try await client.call(.get, "/health", token: token)
            case .openapi: reply = try await client.call(.get, "/openapi.json", token: token)
            case .metrics:
                let response = try await client.execute(uri: "/metrics", method: .get)
                #expect(response.status == .ok)
                return
            }
            if Self.allowed(caller, endpoint) {
                #expect((200..<300).contains(reply.status.code), "\(caller) \(endpoint): \(reply.raw)")
            } else {
                #expect([401, 403].contains(reply.status.code), "\(caller) \(endpoint): \(reply.raw)")
                if caller == .revoked { #expect(reply.problemCode == "purge-required") }
            }
        }
    }
}
