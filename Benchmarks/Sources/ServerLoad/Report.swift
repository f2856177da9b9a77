import Foundation
import Histogram

/// Request latencies in microseconds (3 significant digits, up to 10 minutes).
typealias Latencies = Histogram<UInt64>

func makeLatencies() -> Latencies {
    Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
}

extension Duration {
    var microseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds)) * 1_000_000 + UInt64(max(0, attoseconds)) / 1_000_000_000_000
    }

    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var milliseconds: Double { seconds * 1000 }
}

enum Format {
    /// `1234567.8` → `1,234,568`.
    static func grouped(_ value: Double) -> String {
        let whole = Int(value.rounded())
        let digits = String(abs(whole))
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(character)
        }
        return (whole < 0 ? "-" : "") + out
    }

    static func fixed(_ value: Double, _ decimals: Int = 1) -> String {
        String(format: "%.\(decimals)f", value)
    }

    /// Microseconds as milliseconds with two decimals.
    static func ms(_ microseconds: UInt64) -> String { fixed(Double(microseconds) / 1000, 2) }

    static func verdict(_ met: Bool) -> String { met ? "met" : "NOT MET" }
}

extension Histogram where Count == UInt64 {
    /// `p50 … max` in milliseconds.
    var summary: String {
        "p50 \(Format.ms(valueAtPercentile(50))) ms, p90 \(Format.ms(valueAtPercentile(90))) ms, "
            + "p99 \(Format.ms(valueAtPercentile(99))) ms, max \(Format.ms(max)) ms (n = \(Format.grouped(Double(totalCount))))"
    }
}

/// CPU time of a process, from /proc (Linux), in seconds.
enum ProcessCPU {
    static func seconds(pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after "comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func own() -> Double { seconds(pid: getpid()) ?? 0 }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Writes a line to standard output at once (unbuffered), so that progress
/// shows up in a piped log.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
