//! An SVG chart of a report: raw vs guarded accuracy per suite with 95%
//! whiskers (top), and the share of each primary error class per suite and
//! mode (bottom). Plain SVG text, no dependencies, no fonts embedded.

use std::fmt::Write as _;

use crate::classify::ErrorClass;
use crate::summary::{ModeSummary, SuiteSummary};
use crate::tape::Mode;

const WIDTH: f64 = 860.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const ACC_TOP: f64 = 50.0;
const ACC_HEIGHT: f64 = 220.0;
const RAW_COLOUR: &str = "#9aa5b1";
const GUARDED_COLOUR: &str = "#2f6fdf";
const CLASS_COLOURS: [&str; 7] = [
    "#d64545", "#e8833a", "#f0b429", "#8f5bd6", "#3ebd93", "#27ab83", "#7b8794",
];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn modes(s: &SuiteSummary) -> [(Mode, Option<&ModeSummary>); 2] {
    [
        (Mode::Raw, s.overall.raw.as_ref()),
        (Mode::Guarded, s.overall.guarded.as_ref()),
    ]
}

/// The chart of `summaries` as an SVG document.
pub fn svg(summaries: &[SuiteSummary]) -> String {
    let bars_rows: usize = summaries
        .iter()
        .map(|s| modes(s).iter().filter(|(_, m)| m.is_some()).count())
        .sum();
    let err_top = ACC_TOP + ACC_HEIGHT + 80.0;
    let row_h = 22.0;
    let height = err_top + 30.0 + bars_rows as f64 * row_h + 60.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let mut o = String::new();
    let _ = writeln!(
        o,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"##
    );
    let _ = writeln!(o, r##"<rect width="100%" height="100%" fill="white"/>"##);
    let _ = writeln!(
        o,
        r##"<text x="{LEFT}" y="24" font-size="15" font-weight="bold">Accuracy, raw vs guarded (95% interval)</text>"##
    );

    // Accuracy panel: axis and grid.
    let y_of = |v: f64| ACC_TOP + ACC_HEIGHT * (1.0 - v);
    for k in 0..=5 {
        let v = k as f64 / 5.0;
        let y = y_of(v);
        let _ = writeln!(
            o,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e4e7eb"/><text x="{:.1}" y="{:.1}" text-anchor="end">{:.0}%</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            v * 100.0
        );
    }
    let group_w = plot_w / summaries.len().max(1) as f64;
    let bar_w = (group_w * 0.3).min(60.0);
    for (g, s) in summaries.iter().enumerate() {
        let centre = LEFT + group_w * (g as f64 + 0.5);
        for (k, (mode, m)) in modes(s).iter().enumerate() {
            let (Some(m), Some(acc), Some(ci)) =
                (m, m.and_then(|m| m.accuracy), m.and_then(|m| m.ci95))
            else {
                continue;
            };
            let x = centre + if k == 0 { -bar_w - 2.0 } else { 2.0 };
            let colour = if *mode == Mode::Raw {
                RAW_COLOUR
            } else {
                GUARDED_COLOUR
            };
            let (y, h) = (y_of(acc), ACC_HEIGHT * acc);
            let _ = writeln!(
                o,
                r##"<rect x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}" fill="{colour}"><title>{} {}: {:.1}% [{:.1}, {:.1}] of {}</title></rect>"##,
                escape(s.overall.suite.name()),
                mode.name(),
                acc * 100.0,
                ci[0] * 100.0,
                ci[1] * 100.0,
                m.scored
            );
            let cx = x + bar_w / 2.0;
            let (y0, y1) = (y_of(ci[0]), y_of(ci[1]));
            let _ = writeln!(
                o,
                r##"<path d="M{cx:.1} {y0:.1}V{y1:.1}M{:.1} {y0:.1}h8M{:.1} {y1:.1}h8" stroke="black" fill="none"/>"##,
                cx - 4.0,
                cx - 4.0
            );
            let _ = writeln!(
                o,
                r##"<text x="{cx:.1}" y="{:.1}" text-anchor="middle" font-size="10">{:.0}%</text>"##,
                y1 - 4.0,
                acc * 100.0
            );
        }
        let _ = writeln!(
            o,
            r##"<text x="{centre:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            ACC_TOP + ACC_HEIGHT + 18.0,
            escape(s.overall.suite.name())
        );
    }
    let ly = ACC_TOP + ACC_HEIGHT + 40.0;
    let _ = writeln!(
        o,
        r##"<rect x="{LEFT}" y="{:.1}" width="12" height="12" fill="{RAW_COLOUR}"/><text x="{:.1}" y="{ly:.1}">raw</text><rect x="{:.1}" y="{:.1}" width="12" height="12" fill="{GUARDED_COLOUR}"/><text x="{:.1}" y="{ly:.1}">guarded</text>"##,
        ly - 10.0,
        LEFT + 16.0,
        LEFT + 60.0,
        ly - 10.0,
        LEFT + 76.0
    );

    // Error-class panel: one stacked bar per suite and mode.
    let _ = writeln!(
        o,
        r##"<text x="{LEFT}" y="{:.1}" font-size="15" font-weight="bold">Primary error class, share of answers</text>"##,
        err_top
    );
    let label_w = 150.0;
    let bar_x = LEFT + label_w - 60.0;
    let bar_full = WIDTH - RIGHT - bar_x;
    let mut y = err_top + 20.0;
    for s in summaries {
        for (mode, m) in modes(s) {
            let Some(m) = m else { continue };
            let _ = writeln!(
                o,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{} {}</text>"##,
                bar_x - 6.0,
                y + 14.0,
                escape(s.overall.suite.name()),
                mode.name()
            );
            // The full width is every answer; what no class covers had no error.
            let _ = writeln!(
                o,
                r##"<rect x="{bar_x:.1}" y="{y:.1}" width="{bar_full:.1}" height="{:.1}" fill="#f0f4f8"><title>{} answers</title></rect>"##,
                row_h - 4.0,
                m.n
            );
            let mut x = bar_x;
            for (c, colour) in ErrorClass::ALL.iter().zip(CLASS_COLOURS) {
                let count = m.errors.get(c.name()).copied().unwrap_or(0);
                if count == 0 || m.n == 0 {
                    continue;
                }
                let w = bar_full * count as f64 / m.n as f64;
                let _ = writeln!(
                    o,
                    r##"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{:.1}" fill="{colour}"><title>{}: {count} of {}</title></rect>"##,
                    row_h - 4.0,
                    c.name(),
                    m.n
                );
                x += w;
            }
            y += row_h;
        }
    }
    let mut lx = LEFT;
    let ly = y + 24.0;
    for (c, colour) in ErrorClass::ALL.iter().zip(CLASS_COLOURS) {
        let _ = writeln!(
            o,
            r##"<rect x="{lx:.1}" y="{:.1}" width="12" height="12" fill="{colour}"/><text x="{:.1}" y="{ly:.1}">{}</text>"##,
            ly - 10.0,
            lx + 16.0,
            c.name()
        );
        lx += 24.0 + 6.5 * c.name().len() as f64;
    }
    let _ = writeln!(
        o,
        r##"<rect x="{lx:.1}" y="{:.1}" width="12" height="12" fill="#f0f4f8" stroke="#9aa5b1"/><text x="{:.1}" y="{ly:.1}">none</text>"##,
        ly - 10.0,
        lx + 16.0
    );
    o.push_str("</svg>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::summarize;
    use crate::tape::tests::record;

    #[test]
    fn the_chart_has_a_bar_per_mode_and_error_segments() {
        let records = vec![
            record("0", Mode::Raw, false),
            record("1", Mode::Raw, true),
            record("0", Mode::Guarded, true),
            record("1", Mode::Guarded, true),
        ];
        let svg = svg(&summarize(&records));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("<title>gsm8k raw: 50.0% ["), "{svg}");
        assert!(svg.contains("<title>gsm8k guarded: 100.0% ["), "{svg}");
        assert!(svg.contains("<title>other: 1 of 2</title>"), "{svg}");
        assert!(svg.contains("<title>2 answers</title>"), "{svg}");
        assert_eq!(svg.matches("<title>other").count(), 1);
    }
}
