/// Columns separated by two spaces, for the tables paxosctl prints.
package enum TextTable {
    /// One line per row, every column as wide as its widest cell, left-aligned; trailing spaces
    /// trimmed. Rows shorter than the first are padded with empty cells.
    package static func render(_ rows: [[String]]) -> [String] {
        render(rows, alignRight: { _ in false })
    }

    /// Like `render`, but every column after the first is right-aligned, for tables of numbers.
    package static func rightAligned(_ rows: [[String]]) -> [String] {
        render(rows, alignRight: { $0 > 0 })
    }

    private static func render(_ rows: [[String]], alignRight: (Int) -> Bool) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            var line = ""
            for index in 0..<columns {
                let cell = index < row.count ? row[index] : ""
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { line += "  " }
                line += alignRight(index) ? pad + cell : cell + pad
            }
            return String(line.reversed().drop { $0 == " " }.reversed())
        }
    }
}
