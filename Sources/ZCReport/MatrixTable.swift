import Foundation
import ZCAnalysis

/// The matrix for a terminal.
public enum MatrixTable {
    /// Variant rows x property columns (pass, FAIL, xfail, XPASS, CRASHED), fixed width, then
    /// the figures that answer the review, one row per figure.
    public static func text(_ matrix: MatrixReport) -> String {
        let names = matrix.variants.map(\.name)
        let labels = matrix.variants.map { variant in
            matrix.properties.map { ReportFormat.label(matrix[variant, $0]?.outcome ?? .crashed) }
        }
        let first = max("variant".count, names.map(\.count).max() ?? 0)
        let widths = matrix.properties.map { max($0.count, ReportFormat.widestLabel) }
        var lines = [ReportFormat.row(["variant"] + matrix.properties, widths: [first] + widths)]
        for (variant, row) in zip(names, labels) {
            lines.append(ReportFormat.row([variant] + row, widths: [first] + widths))
        }
        let figures = ReportFormat.figureColumns(matrix)
        if !figures.isEmpty {
            let values = figures.map { column in
                matrix.variants.map { ReportFormat.figureText(matrix[$0, column.property], column.name, exact: false) }
            }
            let nameWidth = max("figure".count, figures.map(\.name.count).max() ?? 0)
            let columnWidths = matrix.variants.indices.map { index in
                max(names[index].count, values.map { $0[index].count }.max() ?? 0)
            }
            lines.append("")
            lines.append(ReportFormat.row(["figure"] + names, widths: [nameWidth] + columnWidths))
            for (column, row) in zip(figures, values) {
                lines.append(ReportFormat.row([column.name] + row, widths: [nameWidth] + columnWidths))
            }
        }
        return lines.joined(separator: "\n")
    }
}
