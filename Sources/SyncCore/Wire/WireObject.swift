import Foundation

/// One JSON object of a wire document, read member by member: every refusal
/// is a `WireError` naming the member's path. In a request, members the
/// document does not define are refused, never dropped. In the server's
/// answers they are passed over (Protocol.md §10.1): the server is upgraded
/// before the laptops, and a laptop must keep syncing with a server that
/// says more than it knows. Documents whose refusals are answered to a
/// client word their own details; this reader words the rest.
struct WireObject {
    /// For `allowed`: an answer of the server, open to members a later
    /// version adds.
    static let answerMembers: Set<String>? = nil

    let members: [String: JSONValue]
    /// The object's own path; nil for the document itself.
    let base: String?

    /// `allowed`: the members the document defines; nil for one whose
    /// members are open (a problem document's extension members).
    init(_ value: JSONValue, path: String?, expected: String, allowed: Set<String>?) throws(WireError) {
        guard case .object(let members) = value else {
            throw WireError(.wrongType, expected, path: path)
        }
        // The first in byte order, so that a body with two unknown members is
        // always answered the same way.
        if let allowed, let unknown = members.keys.filter({ !allowed.contains($0) }).min() {
            throw WireError(.unknownMember, "unknown member \"\(unknown)\"", path: Self.memberPath(path, unknown))
        }
        self.members = members
        self.base = path
    }

    static func parse(_ data: Data) throws(WireError) -> JSONValue {
        do {
            return try OperationCodec.parse(data, path: "")
        } catch {
            throw WireError(.malformedJSON, error.description)
        }
    }

    private static func memberPath(_ path: String?, _ member: String) -> String {
        path.map { "\($0).\(member)" } ?? member
    }

    func path(_ member: String) -> String { Self.memberPath(base, member) }

    subscript(member: String) -> JSONValue? { members[member] }

    func required(_ member: String) throws(WireError) -> JSONValue {
        guard let value = members[member] else {
            throw WireError(.missingMember, "missing member \"\(member)\"", path: path(member))
        }
        return value
    }

    func string(_ member: String) throws(WireError) -> String {
        guard case .string(let text) = try required(member) else {
            throw WireError(.wrongType, "\"\(member)\" must be a string", path: path(member))
        }
        return text
    }

    func optionalString(_ member: String) throws(WireError) -> String? {
        guard members[member] != nil else { return nil }
        return try string(member)
    }

    func integer(_ member: String) throws(WireError) -> Int64 {
        guard case .integer(let number) = try required(member) else {
            throw WireError(.wrongType, "\"\(member)\" must be a whole number", path: path(member))
        }
        return number
    }

    func bool(_ member: String) throws(WireError) -> Bool {
        guard case .bool(let flag) = try required(member) else {
            throw WireError(.wrongType, "\"\(member)\" must be true or false", path: path(member))
        }
        return flag
    }

    func array(_ member: String) throws(WireError) -> [JSONValue] {
        guard case .array(let items) = try required(member) else {
            throw WireError(.wrongType, "\"\(member)\" must be an array", path: path(member))
        }
        return items
    }

    func identifier<T>(_ member: String, _ what: String, _ make: (String) -> T?) throws(WireError) -> T {
        guard let id = make(try string(member)) else {
            throw WireError(.invalidIdentifier, "\"\(member)\" must be \(what)", path: path(member))
        }
        return id
    }

    /// The items of an array of identifiers, each refused at its own index.
    func identifiers<T>(_ member: String, _ what: String, _ make: (String) -> T?) throws(WireError) -> [T] {
        var result: [T] = []
        for (index, item) in try array(member).enumerated() {
            guard case .string(let text) = item, let id = make(text) else {
                throw WireError(.invalidIdentifier, "must be \(what)", path: "\(path(member))[\(index)]")
            }
            result.append(id)
        }
        return result
    }
}
