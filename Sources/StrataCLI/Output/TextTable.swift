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

    var columns: [Column]
    private(set) var rows: [[Cell]] = []
    /// Put before every line.
    var indent = ""

    init(_ columns: [Column], indent: String = "") {
        self.columns = columns
        self.indent = indent
    }

    /// Adds a row; missing cells are empty, `styles` (when given) style the cells one by one.
    mutating func add(_ texts: [String], styles: [TextStyle?] = []) {
        rows.append(columns.indices.map { i in
            Cell(text: i < texts.count ? Self.singleLine(texts[i]) : "", style: i < styles.count ? styles[i] : nil)
        })
    }

    /// The column widths that fit `width` (or the natural widths when `width` is `nil`).
    func widths(fitting width: Int?) -> [Int] {
        var widths = columns.map { max(TextWidth.of($0.title), $0.reservedWidth) }
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], TextWidth.of(cell.text)) }
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
        let widths = widths(fitting: width)
        let header = line(columns.map { Cell(text: $0.title, style: .bold) }, widths: widths, paint: paint)
        return [header] + rows.map { line($0, widths: widths, paint: paint) }
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
