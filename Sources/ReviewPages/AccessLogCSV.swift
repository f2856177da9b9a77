import SyncCore
import SyncService

/// The access log as CSV (RFC 4180), for the data protection officer and for
/// citizens' requests to know who looked at their data.
enum AccessLogCSV {
    static let header = ["id", "time (UTC)", "milliseconds", "actor", "device", "action", "case", "source", "detail"]

    static var headerLine: String { header.map(field).joined(separator: ",") + "\r\n" }

    /// The events' rows, each ended by CRLF.
    static func lines(_ events: [AuditEvent]) -> String {
        var text = ""
        for event in events {
            text += [
                String(event.id), ReviewTime.text(milliseconds: event.at), String(event.at), event.actor ?? "", event.device ?? "",
                event.action, event.caseID ?? "", event.source,
                String(decoding: OperationCodec.canonicalBytes(event.detail), as: UTF8.self),
            ].map(field).joined(separator: ",") + "\r\n"
        }
        return text
    }

    /// Quoted when it holds a comma, a quote or a line break, quotes doubled.
    /// A cell that a spreadsheet would run as a formula (=, +, -, @ first) is
    /// prefixed with an apostrophe: the log holds text typed by users (view
    /// names, reasons), and opening the export must not execute it.
    static func field(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
