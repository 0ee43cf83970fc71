import Foundation
import PostgresNIO
import Strata

/// A row a verify script returned on PostgreSQL, with the query's column names and where the
/// statement that returned it begins.
public struct PostgresVerifyRow: Sendable, Hashable, CustomStringConvertible {
    /// Where the statement that returned the row begins (file, line, column).
    public var location: SourceLocation
    /// The result columns' names.
    public var columns: [String]
    /// The values as `psql` would show them in a literal: `NULL`, numbers and booleans as they
    /// are, text in single quotes.
    public var quotedValues: [String]

    /// Creates a row.
    public init(location: SourceLocation, columns: [String], quotedValues: [String]) {
        self.location = location
        self.columns = columns
        self.quotedValues = quotedValues
    }

    init(location: SourceLocation, row: PostgresRow) {
        self.location = location
        columns = row.map(\.columnName)
        quotedValues = row.map(PostgresValueText.quoted)
    }

    /// `name=value` pairs, for example `id=3, email='a@x', deleted_at=NULL`.
    public var description: String {
        zip(columns, quotedValues).map { "\($0)=\($1)" }.joined(separator: ", ")
    }
}

/// What a verify script returned on PostgreSQL.
public struct PostgresVerifyResult: Sendable, Hashable {
    /// The first rows, at most the limit given to ``PostgresDriver/verifyRows(_:limit:)``.
    public var rows: [PostgresVerifyRow]
    /// Whether more rows than ``rows`` were returned.
    public var truncated: Bool

    /// Creates a result.
    public init(rows: [PostgresVerifyRow], truncated: Bool) {
        self.rows = rows
        self.truncated = truncated
    }

    /// Whether the script returned no row: the verification passed.
    public var passed: Bool { rows.isEmpty }
}

/// Turns result cells (which PostgresNIO always receives in binary format) into text for
/// messages: the common types are decoded, anything else is named by its type.
enum PostgresValueText {
    /// The value as text, `nil` for NULL.
    static func text(_ cell: PostgresCell) -> String? {
        guard cell.bytes != nil else { return nil }
        return decoded(cell) ?? "<\(cell.dataType)>"
    }

    private static func decoded(_ cell: PostgresCell) -> String? {
        switch cell.dataType {
        case .bool: return (try? cell.decode(Bool.self)).map { $0 ? "t" : "f" }
        case .int2, .int4, .int8: return (try? cell.decode(Int64.self)).map(String.init)
        case .float4, .float8: return (try? cell.decode(Double.self)).map { String($0) }
        case .numeric: return (try? cell.decode(Decimal.self)).map { "\($0)" }
        case .timestamp, .timestamptz, .date:
            return (try? cell.decode(Date.self)).map { date in
                let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
                let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
                return Timestamp.format(seconds: Int(seconds), milliseconds: Int(ms - seconds * 1000))
            }
        case .uuid: return (try? cell.decode(UUID.self)).map { $0.uuidString.lowercased() }
        case .bytea:
            return (try? cell.decode(Data.self)).map { "\\x" + $0.map { String(format: "%02x", $0) }.joined() }
        case .text, .varchar, .bpchar, .name, .json, .jsonb, .xml:
            return try? cell.decode(String.self)
        default:
            return nil
        }
    }

    /// The value as in an SQL literal: `NULL`, numbers and booleans bare, the rest quoted.
    static func quoted(_ cell: PostgresCell) -> String {
        guard let text = text(cell) else { return "NULL" }
        switch cell.dataType {
        case .bool, .int2, .int4, .int8, .float4, .float8, .numeric: return text
        default: return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        }
    }
}
