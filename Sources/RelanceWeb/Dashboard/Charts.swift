import Foundation
import RelanceCore

/// Small inline SVG bar charts: no script, no external asset, readable by a screen reader (a title,
/// and each bar's value as text), and each bar may link to the list it sums up.
enum BarChart {
    struct Bar {
        var label: String
        var value: Int64
        var display: String
        var link: String?
        /// What a screen reader hears for the bar, when the visible label is shortened or left out.
        var name: String? = nil
    }

    /// `t`: the reader's phrases, for what the chart writes itself (each bar's "label: value").
    static func svg(_ bars: [Bar], title: String, t: Words, width: Int = 400, height: Int = 200) -> String {
        let top = 22
        let bottom = 34
        let plot = height - top - bottom
        let maximum = max(bars.map(\.value).max() ?? 0, 1)
        let slot = Double(width) / Double(max(bars.count, 1))
        let barWidth = max(4, Int(slot * 0.62))
        var out = """
            <svg class="chart" viewBox="0 0 \(width) \(height)" role="img" aria-label="\(HTML.escaped(title))" \
            xmlns="http://www.w3.org/2000/svg"><title>\(HTML.escaped(title))</title>
            <line x1="0" y1="\(top + plot)" x2="\(width)" y2="\(top + plot)" class="axis"/>

            """
        for (index, bar) in bars.enumerated() {
            let barHeight = bar.value <= 0 ? 0 : max(2, Int(Double(plot) * Double(bar.value) / Double(maximum)))
            let center = Int(slot * (Double(index) + 0.5))
            let x = center - barWidth / 2
            let y = top + plot - barHeight
            let heard = t("dash.chart.bar", bar.name ?? bar.label, bar.display)
            var group = "<g><title>\(HTML.escaped(heard))</title>"
            group += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(barWidth)\" height=\"\(barHeight)\" class=\"bar\"/>"
            if bar.value > 0 {
                group += "<text x=\"\(center)\" y=\"\(y - 5)\" class=\"value\">\(HTML.escaped(bar.display))</text>"
            }
            group += "<text x=\"\(center)\" y=\"\(height - 12)\" class=\"label\">\(HTML.escaped(bar.label))</text></g>"
            if let link = bar.link {
                group = "<a href=\"\(HTML.escaped(link))\">" + group + "</a>"
            }
            out += group + "\n"
        }
        return out + "</svg>"
    }
}
