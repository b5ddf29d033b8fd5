import ZCAnalysis
import ZCGuest
import Foundation

/// One self-contained HTML page (no script, no external assets): per kernel the matrix with
/// colours, the figures, every cell's numbers, the once-only scenarios and, for each variant,
/// an inline SVG timeline of its double-charge receive. All text is escaped.
public enum HTMLReport {
    public static func html(_ reports: [RunReport]) -> String {
        var out = [
            "<!DOCTYPE html>",
            "<html lang=\"en\">",
            "<head>",
            "<meta charset=\"utf-8\">",
            "<title>zcbench report</title>",
            "<style>\(style)</style>",
            "</head>",
            "<body>",
            "<h1>zcbench report</h1>",
        ]
        for report in reports {
            out += section(report)
        }
        out += ["</body>", "</html>"]
        return out.joined(separator: "\n") + "\n"
    }

    static let style = """
        body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\
        table{border-collapse:collapse;margin:.5em 0}\
        th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}\
        th{background:#f0f0f0}\
        td.o-pass{background:#cfe8cf}td.o-xfail{background:#e6efd6;color:#555}\
        td.o-fail{background:#f4b6b6;font-weight:bold}td.o-xpass{background:#ffd59a;font-weight:bold}\
        td.o-crashed{background:#555;color:#fff;font-weight:bold}\
        pre{background:#f6f6f6;padding:.5em;overflow-x:auto}\
        .verdict-ok{color:#1b6e1b}.verdict-bad{color:#b00000}\
        svg{display:block;margin:.5em 0}
        """

    static func section(_ report: RunReport) -> [String] {
        var out = ["<section>", "<h2>\(e(ReportFormat.kernelTitle(report)))</h2>"]
        out.append("<p class=\"\(report.passed ? "verdict-ok" : "verdict-bad")\">Verdict: \(e(ReportFormat.verdict(report)))</p>")
        if let file = report.expectationsFile { out.append("<p>Expectations: <code>\(e(file))</code></p>") }
        let load = report.moduleLoad
        out.append("<p>Module load: \(e(ReportFormat.label(load.outcome))) (\(e(load.measured)))</p>")
        if let problem = report.problem {
            out.append("<p class=\"verdict-bad\">The run CRASHED: \(e(problem))</p>")
            out.append("<pre>\(e(report.consoleExcerpt.joined(separator: "\n")))</pre>")
            out.append("<p>Console log and results are kept in <code>\(e(report.runDirectory))</code>.</p>")
        }
        for matrix in report.matrices {
            out.append("<h3>\(e(matrix.path.title))</h3>")
            out += matrixTable(matrix)
            out += figures(matrix)
            out += cells(matrix)
            out += timelines(matrix)
        }
        out += scenarios(report.scenarios)
        out.append("</section>")
        return out
    }

    static func matrixTable(_ matrix: MatrixReport) -> [String] {
        var out = ["<h3>Matrix</h3>", "<table class=\"matrix\">",
                   "<tr><th>variant</th>" + matrix.properties.map { "<th>\(e($0))</th>" }.joined() + "</tr>"]
        for variant in matrix.variants {
            let row = matrix.properties.map { property -> String in
                guard let cell = matrix[variant, property] else { return "<td class=\"o-crashed\">CRASHED</td>" }
                let title = [cell.measured, cell.condition].filter { !$0.isEmpty }.joined(separator: " | ")
                return "<td class=\"o-\(cell.outcome.rawValue)\" title=\"\(e(title))\">\(e(ReportFormat.label(cell.outcome)))</td>"
            }
            out.append("<tr><th>\(e(variant.name))</th>" + row.joined() + "</tr>")
        }
        out.append("</table>")
        out.append("<p>pass, xfail: as expected (xfail: the design's known hole was seen). FAIL: a property "
            + "expected to hold did not. XPASS: an expected hole was not seen. CRASHED: no measurement.</p>")
        return out
    }

    static func figures(_ matrix: MatrixReport) -> [String] {
        let columns = ReportFormat.figureColumns(matrix)
        guard !columns.isEmpty else { return [] }
        var out = ["<h3>Figures that answer the review</h3>", "<table class=\"figures\">",
                   "<tr><th>variant</th>" + columns.map { "<th>\(e($0.name))</th>" }.joined() + "</tr>"]
        for variant in matrix.variants {
            let row = columns.map { "<td>\(e(ReportFormat.figureText(matrix[variant, $0.property], $0.name, exact: true)))</td>" }
            out.append("<tr><th>\(e(variant.name))</th>" + row.joined() + "</tr>")
        }
        out.append("</table>")
        return out
    }

    /// Every cell with its numbers, condition and expectation.
    static func cells(_ matrix: MatrixReport) -> [String] {
        var out = ["<h3>Every cell</h3>", "<table class=\"cells\">",
                   "<tr><th>cell</th><th>outcome</th><th>measured</th><th>condition</th><th>expected</th></tr>"]
        for cell in matrix.cells {
            let tolerance = cell.tolerance.isEmpty ? "" : " (tolerance \(cell.tolerance))"
            out.append("<tr><th>\(e("\(cell.variant)/\(cell.property)"))</th>"
                + "<td class=\"o-\(cell.outcome.rawValue)\">\(e(ReportFormat.label(cell.outcome)))</td>"
                + "<td>\(e(cell.measured))</td><td>\(e(cell.condition))</td>"
                + "<td>\(e("\(cell.expected.rawValue)\(tolerance): \(cell.reason)"))</td></tr>")
        }
        out.append("</table>")
        return out
    }

    static func timelines(_ matrix: MatrixReport) -> [String] {
        guard matrix.properties.contains("double-charge") else { return [] }
        var out = ["<h3>Double-charge timelines</h3>"]
        for variant in matrix.variants {
            out.append("<h4>\(e(variant.name))</h4>")
            guard let cell = matrix[variant, "double-charge"] else {
                out.append("<p>No double-charge result for \(e(variant.name)).</p>")
                continue
            }
            if cell.samples.isEmpty {
                out.append("<p>No samples for \(e(variant.name))/double-charge (\(e(ReportFormat.label(cell.outcome))): "
                    + "\(e(cell.measured.isEmpty ? "no measurement" : cell.measured))).</p>")
            } else {
                out.append(HTMLTimeline(cell: cell).svg())
            }
        }
        return out
    }

    static func scenarios(_ scenarios: [ScenarioReport]) -> [String] {
        guard !scenarios.isEmpty else { return [] }
        var out = ["<h3>Once-only scenarios</h3>"]
        for scenario in scenarios {
            out.append("<h4>\(e(scenario.scenario))</h4>")
            if let summary = TextReport.summary(scenario) { out.append("<p>\(e(summary))</p>") }
            if let problem = scenario.problem { out.append("<p class=\"verdict-bad\">CRASHED: \(e(problem))</p>") }
            guard !scenario.checks.isEmpty else { continue }
            out.append("<table><tr><th>check</th><th>outcome</th><th>measured</th><th>condition</th><th>expected</th></tr>")
            for check in scenario.checks {
                out.append("<tr><th>\(e(check.property))</th>"
                    + "<td class=\"o-\(check.outcome.rawValue)\">\(e(ReportFormat.label(check.outcome)))</td>"
                    + "<td>\(e(check.measured))</td><td>\(e(check.condition))</td>"
                    + "<td>\(e("\(check.expected.rawValue): \(check.reason)"))</td></tr>")
            }
            out.append("</table>")
        }
        return out
    }

    static func e(_ text: String) -> String { ReportFormat.escape(text) }
}

/// The SVG timeline of one double-charge cell: x = t_us (ticks in ms), y = bytes (ticks in
/// MiB); memory.current, sock, kernel, file_mapped and mapped as polylines and, when the
/// cell has its baseline, the line of what every page charged once would be (the call's
/// baseline, or baseline + mapped + queued) with the stretch where
/// memory.current rises above it (charged twice) shaded.
struct HTMLTimeline {
    var cell: MatrixCell

    static let width = 760.0, height = 340.0
    static let left = 72.0, right = 16.0, top = 16.0, bottom = 84.0
    static var plotWidth: Double { width - left - right }
    static var plotHeight: Double { height - top - bottom }

    struct Series {
        var key: String
        var label: String
        var colour: String
        var dashed = false

        var dash: String { dashed ? " stroke-dasharray=\"6 3\"" : "" }
    }

    static let series = [
        Series(key: "memory_current", label: "memory.current", colour: "#d62728"),
        Series(key: "sock", label: "sock", colour: "#1f77b4"),
        Series(key: "kernel", label: "kernel", colour: "#9467bd"),
        Series(key: "file_mapped", label: "file_mapped", colour: "#2ca02c"),
        // Dashed: where file_mapped follows mapped exactly, both stay visible.
        Series(key: "mapped", label: "mapped", colour: "#ff7f0e", dashed: true),
    ]
    static let reference = Series(key: "", label: "every page charged once", colour: "#7f7f7f", dashed: true)
    static let shade = "#d62728"

    /// Samples with a time, in time order.
    var samples: [Sample] {
        cell.samples.filter { $0.values["t_us"] != nil }.enumerated()
            .sorted { ($0.element.values["t_us"]!, $0.offset) < ($1.element.values["t_us"]!, $1.offset) }
            .map(\.element)
    }

    var baseline: Int64? { cell.metrics["baseline.memory_current"] }

    /// Whether the reference line can be drawn: the samples carry it, or the cell has its
    /// baseline.
    var hasReference: Bool { baseline != nil || cell.samples.contains { $0.values["expected"] != nil } }

    /// What memory.current would be at a sample with every page in use charged once: the
    /// sample's own `expected` (the guest's baseline of the call it stopped), else
    /// baseline + mapped + queued, when all three are known.
    func expected(_ sample: Sample) -> Int64? {
        if let expected = sample.values["expected"] { return expected }
        guard let baseline, let mapped = sample.values["mapped"], let queued = sample.values["queued"] else { return nil }
        return baseline + mapped + queued
    }

    func svg() -> String {
        let samples = samples
        let name = "\(cell.variant)/\(cell.property)"
        guard let firstTime = samples.first?.values["t_us"], let lastTime = samples.last?.values["t_us"] else {
            return "<p>No timed samples for \(ReportFormat.escape(name)).</p>"
        }
        let t0 = Double(firstTime), t1 = lastTime > firstTime ? Double(lastTime) : Double(firstTime) + 1000
        var highest: Int64 = 0
        for sample in samples {
            for series in Self.series { highest = max(highest, sample.values[series.key] ?? 0) }
            highest = max(highest, expected(sample) ?? 0)
        }
        let yTicks = Self.ticks(upTo: max(Double(highest), 1_048_576) / 1_048_576)
        let yMax = (yTicks.last ?? 1) * 1_048_576
        func x(_ t: Int64) -> Double { Self.left + (Double(t) - t0) / (t1 - t0) * Self.plotWidth }
        func y(_ value: Double) -> Double { Self.top + Self.plotHeight - value / yMax * Self.plotHeight }

        var out = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(Self.width))\" height=\"\(Int(Self.height))\""
            + " viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" role=\"img\""
            + " aria-label=\"\(ReportFormat.escape("\(name) timeline", attribute: true))\""
            + " font-family=\"sans-serif\" font-size=\"11\">"]
        out.append("<title>\(ReportFormat.escape("\(name): bytes over time, \(samples.count) samples"))</title>")
        out.append("<rect x=\"\(f(Self.left))\" y=\"\(f(Self.top))\" width=\"\(f(Self.plotWidth))\""
            + " height=\"\(f(Self.plotHeight))\" fill=\"#fff\" stroke=\"#999\"/>")

        // Axes: MiB on the left, ms along the bottom.
        for tick in yTicks {
            let py = y(tick * 1_048_576)
            out.append("<line x1=\"\(f(Self.left))\" y1=\"\(f(py))\" x2=\"\(f(Self.left + Self.plotWidth))\" y2=\"\(f(py))\""
                + " stroke=\"#e4e4e4\"/>")
            out.append("<text x=\"\(f(Self.left - 6))\" y=\"\(f(py + 4))\" text-anchor=\"end\">\(Self.label(tick, among: yTicks))</text>")
        }
        let msTicks = Self.ticks(from: t0 / 1000, to: t1 / 1000)
        for tick in msTicks {
            let px = Self.left + (tick * 1000 - t0) / (t1 - t0) * Self.plotWidth
            out.append("<line x1=\"\(f(px))\" y1=\"\(f(Self.top + Self.plotHeight))\" x2=\"\(f(px))\""
                + " y2=\"\(f(Self.top + Self.plotHeight + 5))\" stroke=\"#999\"/>")
            out.append("<text x=\"\(f(px))\" y=\"\(f(Self.top + Self.plotHeight + 17))\" text-anchor=\"middle\">"
                + "\(Self.label(tick, among: msTicks))</text>")
        }
        out.append("<text x=\"\(f(Self.left + Self.plotWidth / 2))\" y=\"\(f(Self.top + Self.plotHeight + 32))\""
            + " text-anchor=\"middle\">time since start (ms)</text>")
        out.append("<text x=\"14\" y=\"\(f(Self.top + Self.plotHeight / 2))\" text-anchor=\"middle\""
            + " transform=\"rotate(-90 14 \(f(Self.top + Self.plotHeight / 2)))\">MiB</text>")

        // The double-charge window, then the lines over it.
        let shaded = shadedPolygons(samples)
        for polygon in shaded {
            let points = polygon.map { "\(f(x($0.t))),\(f(y($0.value)))" }.joined(separator: " ")
            out.append("<polygon points=\"\(points)\" fill=\"\(Self.shade)\" fill-opacity=\"0.25\" stroke=\"none\"/>")
        }
        var drawn: [Series] = []
        if hasReference {
            let points = samples.compactMap { sample in
                expected(sample).map { "\(f(x(sample.values["t_us"]!))),\(f(y(Double($0))))" }
            }
            if !points.isEmpty {
                out.append(polyline(points, Self.reference))
                drawn.append(Self.reference)
            }
        }
        for series in Self.series {
            let points = samples.compactMap { sample in
                sample.values[series.key].map { "\(f(x(sample.values["t_us"]!))),\(f(y(Double($0))))" }
            }
            guard !points.isEmpty else { continue }
            out.append(polyline(points, series))
            drawn.append(series)
        }
        out += legend(drawn, shaded: hasReference)
        out.append("</svg>")
        return out.joined(separator: "\n")
    }

    func polyline(_ points: [String], _ series: Series) -> String {
        "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(series.colour)\""
            + " stroke-width=\"1.5\"\(series.dash)><title>\(ReportFormat.escape(series.label))</title></polyline>"
    }

    /// A row (or rows) of legend entries under the axis title.
    func legend(_ drawn: [Series], shaded: Bool) -> [String] {
        var entries = drawn.map { (label: $0.label, swatch: swatch($0)) }
        if shaded {
            entries.append(("charged twice (memory.current above the grey line)", { x, y in
                "<rect x=\"\(f(x))\" y=\"\(f(y - 8))\" width=\"18\" height=\"10\" fill=\"\(Self.shade)\" fill-opacity=\"0.25\"/>"
            }))
        }
        var out: [String] = []
        var px = Self.left, py = Self.top + Self.plotHeight + 52
        for entry in entries {
            let width = 26 + Double(entry.label.count) * 6.2 + 14
            if px + width > Self.width - Self.right && px > Self.left {
                px = Self.left
                py += 16
            }
            out.append(entry.swatch(px, py))
            out.append("<text x=\"\(f(px + 24))\" y=\"\(f(py + 1))\">\(ReportFormat.escape(entry.label))</text>")
            px += width
        }
        return out
    }

    func swatch(_ series: Series) -> (Double, Double) -> String {
        { x, y in
            "<line x1=\"\(f(x))\" y1=\"\(f(y - 3))\" x2=\"\(f(x + 18))\" y2=\"\(f(y - 3))\" stroke=\"\(series.colour)\""
                + " stroke-width=\"2\"\(series.dash)/>"
        }
    }

    struct Point: Equatable {
        var t: Int64
        var value: Double
    }

    /// Polygons between the reference line and memory.current where memory.current is
    /// above, interpolating linearly between samples and cutting where the two cross.
    func shadedPolygons(_ samples: [Sample]) -> [[Point]] {
        let points: [(t: Int64, current: Double, expected: Double)] = samples.compactMap { sample in
            guard let current = sample.values["memory_current"], let expected = expected(sample) else { return nil }
            return (sample.values["t_us"]!, Double(current), Double(expected))
        }
        var polygons: [[Point]] = []
        var upper: [Point] = [], lower: [Point] = []
        func close() {
            if upper.count >= 2 { polygons.append(upper + lower.reversed()) }
            upper = []
            lower = []
        }
        for (index, point) in points.enumerated() {
            let excess = point.current - point.expected
            if index > 0 {
                let previous = points[index - 1]
                let before = previous.current - previous.expected
                if (before > 0) != (excess > 0), before != excess {
                    // The lines cross between the two samples.
                    let share = before / (before - excess)
                    let t = Double(previous.t) + share * Double(point.t - previous.t)
                    let value = previous.expected + share * (point.expected - previous.expected)
                    let crossing = Point(t: Int64(t.rounded()), value: value)
                    if excess > 0 {
                        upper = [crossing]
                        lower = [crossing]
                    } else {
                        upper.append(crossing)
                        lower.append(crossing)
                        close()
                    }
                }
            }
            if excess > 0 {
                upper.append(Point(t: point.t, value: point.current))
                lower.append(Point(t: point.t, value: point.expected))
            }
        }
        close()
        return polygons
    }

    /// Round steps (1, 2 or 5 x 10^n) from the first multiple at or above `from` to `to`.
    static func ticks(from: Double, to: Double, target: Double = 6) -> [Double] {
        let step = niceStep((to - from) / target)
        var ticks: [Double] = []
        var index = (from / step).rounded(.up)
        while index * step <= to + step * 1e-9 {
            ticks.append(index * step)
            index += 1
        }
        return ticks
    }

    /// 0, then round steps up to the first one at or above `upTo`.
    static func ticks(upTo: Double, target: Double = 5) -> [Double] {
        let step = niceStep(upTo / target)
        var ticks = [0.0]
        while ticks.last! < upTo - step * 1e-9 { ticks.append(ticks.last! + step) }
        return ticks
    }

    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let normal = raw / magnitude
        let factor: Double = normal <= 1 ? 1 : normal <= 2 ? 2 : normal <= 5 ? 5 : 10
        return factor * magnitude
    }

    /// A tick label with as many decimals as the step needs.
    static func label(_ value: Double, among ticks: [Double]) -> String {
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        let decimals = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3
        return String(format: "%.\(decimals)f", value)
    }
}

/// A coordinate with one decimal.
private func f(_ value: Double) -> String { String(format: "%.1f", value) }
