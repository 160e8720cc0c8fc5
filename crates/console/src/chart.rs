//! The chart of where release time goes: one horizontal bar per release, split into the time
//! spent in each state, drawn server-side as SVG (presentation attributes only, so the strict
//! Content-Security-Policy holds). Every text in it is escaped here.

use std::fmt::Write;

/// One release's bar: its label and (state, seconds) in order.
pub struct Bar {
    /// The release id and version.
    pub label: String,
    /// Seconds per state.
    pub phases: Vec<(String, i64)>,
}

/// Twelve colours told apart easily (ColorBrewer "Paired"), one per state in order of first use.
const PALETTE: [&str; 12] = [
    "#1f78b4", "#a6cee3", "#33a02c", "#b2df8a", "#e31a1c", "#fb9a99", "#ff7f00", "#fdbf6f",
    "#6a3d9a", "#cab2d6", "#b15928", "#ffff99",
];
const LABEL_W: i64 = 220;
const BAR_W: i64 = 560;
const ROW_H: i64 = 22;

/// Escapes text for XML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The SVG, or an empty string when there is nothing to draw.
pub fn svg(bars: &[Bar]) -> String {
    let longest = bars
        .iter()
        .map(|b| b.phases.iter().fold(0i64, |a, (_, s)| a.saturating_add(*s)))
        .max()
        .unwrap_or(0);
    if bars.is_empty() || longest == 0 {
        return String::new();
    }
    let mut states: Vec<&str> = Vec::new();
    for (s, _) in bars.iter().flat_map(|b| &b.phases) {
        if !states.contains(&s.as_str()) {
            states.push(s);
        }
    }
    let colour = |s: &str| {
        let i = states.iter().position(|x| *x == s).unwrap_or(0);
        PALETTE[i % PALETTE.len()]
    };
    let legend_y = bars.len() as i64 * ROW_H + 12;
    let height = legend_y + ROW_H * ((states.len() as i64 + 3) / 4) + 8;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{w}\" height=\"{height}\" \
         viewBox=\"0 0 {w} {height}\"><title>Time per state of the last {n} finished releases</title>",
        w = LABEL_W + BAR_W + 80,
        n = bars.len()
    );
    for (row, bar) in bars.iter().enumerate() {
        let y = row as i64 * ROW_H;
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\" font-size=\"12\" fill=\"#222\">{}</text>",
            y + 15,
            esc(&bar.label)
        );
        let mut x = LABEL_W;
        for (state, secs) in &bar.phases {
            let w = secs.saturating_mul(BAR_W) / longest;
            let _ = write!(
                out,
                "<rect x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>",
                y + 3,
                ROW_H - 6,
                colour(state),
                esc(state),
                esc(&crate::view::span(*secs))
            );
            x += w;
        }
        let total = bar
            .phases
            .iter()
            .fold(0i64, |a, (_, s)| a.saturating_add(*s));
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#222\">{}</text>",
            x + 6,
            y + 15,
            esc(&crate::view::span(total))
        );
    }
    for (i, s) in states.iter().enumerate() {
        let (col, line) = (i as i64 % 4, i as i64 / 4);
        let (x, y) = (col * 200, legend_y + line * ROW_H);
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#222\">{}</text>",
            colour(s),
            x + 16,
            y + 11,
            esc(s)
        );
    }
    out.push_str("</svg>");
    out
}
