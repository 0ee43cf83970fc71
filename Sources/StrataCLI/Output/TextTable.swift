/// A table for the terminal: a header, aligned columns two spaces apart, and rows cut to fit a
/// width by shortening the columns marked ``Column/shrinkable`` (their text ends in `…`).
///
/// ```swift
/// var table = TextTable([.init("VERSION"), .init("DESCRIPTION", shrinkable: true), .init("STATE")])
/// table.add(["001", "create users", "applied"], styles: [nil, nil, .green])
/// for line in table.render(width: 80, paint: Painter(enabled: false)) { print(line) }
/// ```
struct TextTable: Sendable {
    /// One column.
    struct Column: Sendable {
        /// The header text.
        var title: String
        /// Right-aligned (numbers, sizes, times) instead of left-aligned.
        var alignRight: Bool
        /// May be shortened, with `…`, to fit the width.
        var shrinkable: Bool
        /// The narrowest a shrinkable column becomes.
        var minimumWidth: Int
        /// The narrowest the column ever is, whatever its cells (keeps layouts stable when cell
        /// widths vary from run to run, as durations do).
        var reservedWidth: Int

        init(_ title: String, alignRight: Bool = false, shrinkable: Bool = false, minimumWidth: Int = 12,
             reservedWidth: Int = 0) {
            self.title = title
            self.alignRight = alignRight
            self.shrinkable = shrinkable
            self.minimumWidth = minimumWidth
            self.reservedWidth = reservedWidth
        }
    }

    /// One cell: its plain text and an optional style.
    struct Cell: Sendable {
        var text: String
        var style: TextStyle?
    }

    /// One row as given: its texts and their styles (see ``add(_:styles:)``).
    typealias RowTexts = (texts: [String], styles: [TextStyle?])

    var columns: [Column]
    /// The rows added with ``add(_:styles:)``.
    private var storedRows: [[Cell]] = []
    /// Rows computed when the table is printed (``init(_:count:indent:row:)``), not held.
    private var computedRows: (count: Int, row: @Sendable (Int) -> RowTexts)?
    /// Put before every line.
    var indent = ""

    init(_ columns: [Column], indent: String = "") {
        self.columns = columns
        self.indent = indent
    }

    /// A table of `count` rows that are computed from `row(index)` each time the table is measured
    /// or printed, instead of being held: the summary of a run of 10,000 migrations costs no memory
    /// until it is written out, line by line (``forEachLine(width:paint:_:)``).
    init(_ columns: [Column], count: Int, indent: String = "", row: @escaping @Sendable (Int) -> RowTexts) {
        self.columns = columns
        self.indent = indent
        computedRows = (count, row)
    }

    /// The number of rows.
    var rowCount: Int { computedRows?.count ?? storedRows.count }

    /// Adds a row; missing cells are empty, `styles` (when given) style the cells one by one.
    mutating func add(_ texts: [String], styles: [TextStyle?] = []) {
        precondition(computedRows == nil, "rows are added to a table without computed rows")
        storedRows.append(cells(texts, styles: styles))
    }

    /// The cells of row `index`.
    private func row(_ index: Int) -> [Cell] {
        guard let computedRows else { return storedRows[index] }
        let given = computedRows.row(index)
        return cells(given.texts, styles: given.styles)
    }

    private func cells(_ texts: [String], styles: [TextStyle?]) -> [Cell] {
        columns.indices.map { i in
            Cell(text: i < texts.count ? Self.singleLine(texts[i]) : "", style: i < styles.count ? styles[i] : nil)
        }
    }

    /// The column widths that fit `width` (or the natural widths when `width` is `nil`).
    func widths(fitting width: Int?) -> [Int] {
        var widths = columns.map { max(TextWidth.of($0.title), $0.reservedWidth) }
        for index in 0..<rowCount {
            for (i, cell) in row(index).enumerated() { widths[i] = max(widths[i], TextWidth.of(cell.text)) }
        }
        guard let width else { return widths }
        var excess = TextWidth.of(indent) + widths.reduce(0, +) + 2 * max(0, columns.count - 1) - width
        for (i, column) in columns.enumerated() where column.shrinkable && excess > 0 {
            let floor = max(column.minimumWidth, min(TextWidth.of(column.title), widths[i]))
            let cut = min(excess, max(0, widths[i] - floor))
            widths[i] -= cut
            excess -= cut
        }
        return widths
    }

    /// The header line followed by one line per row.
    func render(width: Int?, paint: Painter) -> [String] {
        var lines: [String] = []
        lines.reserveCapacity(rowCount + 1)
        forEachLine(width: width, paint: paint) { lines.append($0) }
        return lines
    }

    /// Hands the header line, then one line per row, to `body`, one at a time: a caller that writes
    /// them out as they come never holds the whole table as text (10,000 rows of `status`).
    func forEachLine(width: Int?, paint: Painter, _ body: (String) -> Void) {
        let widths = widths(fitting: width)
        body(line(columns.map { Cell(text: $0.title, style: .bold) }, widths: widths, paint: paint))
        for index in 0..<rowCount { body(line(row(index), widths: widths, paint: paint)) }
    }

    private func line(_ cells: [Cell], widths: [Int], paint: Painter) -> String {
        var parts: [String] = []
        for (i, cell) in cells.enumerated() {
            let text = TextWidth.truncate(cell.text, to: widths[i])
            // Style the text only, not the padding, so that alignment survives any terminal.
            let styled = paint(text, cell.style)
            let padding = String(repeating: " ", count: max(0, widths[i] - TextWidth.of(text)))
            if columns[i].alignRight {
                parts.append(padding + styled)
            } else {
                parts.append(i == cells.count - 1 ? styled : styled + padding)
            }
        }
        var result = indent + parts.joined(separator: "  ")
        while result.hasSuffix(" ") { result.removeLast() }
        return result
    }

    /// Newlines and tabs become spaces: a cell is one line.
    private static func singleLine(_ text: String) -> String {
        guard text.contains(where: { $0.isNewline || $0 == "\t" }) else { return text }
        return String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}
