import Foundation

/// An RFC 9457 problem document, as every error is answered (Protocol.md
/// §10.1). Clients branch on `code`; `detail` is for people. The extension
/// members a problem may carry are read through the typed accessors.
public struct ProblemDocument: Sendable, Equatable {
    public static let typePrefix = "urn:casework-sync:problem:"
    public static let mediaType = "application/problem+json"

    public var code: String
    public var title: String
    public var status: Int
    public var detail: String
    /// Members beyond the four of every problem, such as `path`.
    public var extensions: [String: JSONValue]

    public init(code: String, title: String, status: Int, detail: String, extensions: [String: JSONValue] = [:]) {
        self.code = code
        self.title = title
        self.status = status
        self.detail = detail
        self.extensions = extensions
    }

    public var type: String { Self.typePrefix + code }

    public func encoded() -> Data {
        var members = extensions
        members["type"] = .string(type)
        members["title"] = .string(title)
        members["status"] = .integer(Int64(status))
        members["detail"] = .string(detail)
        return OperationCodec.canonicalBytes(.object(members))
    }

    public static func decode(_ data: Data) throws(WireError) -> ProblemDocument {
        let document = try WireObject(WireObject.parse(data), path: nil, expected: "a problem document must be a JSON object",
                                      allowed: nil)
        let type = try document.string("type")
        guard type.hasPrefix(typePrefix), type.count > typePrefix.count else {
            throw WireError(.wrongType, "\"type\" must be \(typePrefix) and a code", path: "type")
        }
        var extensions = document.members
        for member in ["type", "title", "status", "detail"] { extensions.removeValue(forKey: member) }
        // A client acts on the code and its extension members; a proxy or a
        // server of another version that leaves out the words for people
        // must not hide them (a revoked laptop must still purge).
        return ProblemDocument(
            code: String(type.dropFirst(typePrefix.count)), title: try document.optionalString("title") ?? "",
            status: Int(clamping: document["status"]?.integerValue ?? 0), detail: try document.optionalString("detail") ?? "",
            extensions: extensions)
    }

    // MARK: Extension members

    /// Where in the request the problem is, such as `operations[3].case`.
    public var path: String? { extensions["path"]?.stringValue }

    /// The index of the operation of a push that `path` names, if it names one.
    public var operationIndex: Int? {
        guard let path, path.hasPrefix("operations["), let close = path.firstIndex(of: "]") else { return nil }
        return Int(path[path.index(path.startIndex, offsetBy: "operations[".count)..<close])
    }

    /// The server's time, in a `clock-ahead` problem.
    public var serverTime: Int64? { extensions["serverTime"]?.integerValue }

    /// The operations a `clock-ahead` problem names.
    public var operations: [OperationID] {
        extensions["operations"]?.arrayValue.compactMap { $0.stringValue.flatMap(OperationID.init) } ?? []
    }

    /// Seconds to wait before sending again (`server-busy`, `storage-full`, ...).
    public var retryAfter: Int64? { extensions["retryAfter"]?.integerValue }

    /// The client must delete every piece of case data it holds.
    public var purge: Bool { extensions["purge"]?.boolValue ?? false }
}
