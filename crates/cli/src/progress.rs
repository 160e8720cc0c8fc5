//! Progress of one release on stderr: on a terminal, a bar per phase (admit, mirror, grant,
//! submit, scan, locate, parameters, announce) redrawn in place, with a Region counter on
//! `locate`; elsewhere (logs, CI, pipes) one line per transition. Durations are the engine's
//! (virtual time against the sandbox).

use std::io::Write;

use amipub_domain::release::{Release, State};
use amipub_engine::ports::TimelineEntry;

/// (phase, first state, last state, typical seconds for the bar's scale).
const PHASES: &[(&str, State, State, i64)] = &[
    ("admit", State::Received, State::Received, 5),
    ("mirror", State::Admitted, State::Mirroring, 600),
    ("grant", State::Mirrored, State::Mirrored, 5),
    ("submit", State::Granted, State::Submitting, 60),
    ("scan", State::Scanning, State::Scanning, 3_900),
    ("locate", State::Published, State::Published, 1_500),
    ("parameters", State::Located, State::Located, 10),
    ("announce", State::ParametersWritten, State::Announced, 5),
];
const BAR: usize = 24;

/// The display.
pub struct Progress {
    tty: bool,
    drawn: usize,
    seen: usize,
    regions: usize,
}

/// `1h 02m`, `3m 20s`, `12s`.
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        s if s >= 3600 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

/// When each state was entered, from the timeline.
fn entered(timeline: &[TimelineEntry], state: State) -> Option<i64> {
    timeline
        .iter()
        .find(|e| e.to == state.name() && e.from != e.to)
        .map(|e| e.at)
}

impl Progress {
    /// A display; `tty` redraws in place.
    pub fn new(tty: bool) -> Self {
        Self {
            tty,
            drawn: 0,
            seen: 0,
            regions: 0,
        }
    }

    /// A remark between updates.
    pub fn note(&mut self, text: &str) {
        self.clear();
        eprintln!("  ! {text}");
    }

    fn clear(&mut self) {
        if self.tty && self.drawn > 0 {
            eprint!("\x1b[{}A\x1b[J", self.drawn);
            self.drawn = 0;
        }
    }

    /// Shows the release.
    pub fn show(&mut self, r: &Release, timeline: &[TimelineEntry], now: i64) {
        if self.tty {
            self.clear();
            let lines = render(r, timeline, now);
            self.drawn = lines.len();
            let mut err = std::io::stderr().lock();
            for l in lines {
                let _ = writeln!(err, "{l}");
            }
        } else {
            if r.regions.len() != self.regions {
                self.regions = r.regions.len();
                eprintln!(
                    "            Regions {:>2}/{}",
                    self.regions,
                    r.expected_regions.len()
                );
            }
            for e in timeline.iter().skip(self.seen) {
                if e.from != e.to || e.event == "received" {
                    eprintln!(
                        "  {:>8}  {:<18} {}",
                        duration(e.at - timeline.first().map_or(e.at, |f| f.at)),
                        e.to,
                        e.detail
                    );
                }
            }
            self.seen = timeline.len();
        }
    }

    /// Leaves the last drawing in place.
    pub fn finish(&mut self) {
        self.drawn = 0;
    }
}

/// The lines of the terminal display.
fn render(r: &Release, timeline: &[TimelineEntry], now: i64) -> Vec<String> {
    let mut lines = vec![format!(
        "{} {} — {} ({})",
        r.product,
        r.version,
        r.id,
        r.state.name()
    )];
    let failed_at = r.failure.as_ref().map(|f| f.step);
    let current = failed_at.unwrap_or(r.state);
    for (i, (name, first, last, typical)) in PHASES.iter().enumerate() {
        let end = PHASES.get(i + 1).map_or(State::Done, |p| p.1);
        let start_at = entered(timeline, *first);
        let done = current >= end && current <= State::Done && failed_at.is_none_or(|f| f > *last);
        let running = current >= *first && current <= *last;
        let (fill, mark, time) = if done {
            let took = match (start_at, entered(timeline, end)) {
                (Some(a), Some(b)) => duration(b - a),
                _ => String::new(),
            };
            (BAR, "✔", took)
        } else if running {
            let spent = start_at.map_or(0, |a| now - a);
            let frac = if *name == "locate" && !r.expected_regions.is_empty() {
                r.regions.len() as f64 / r.expected_regions.len() as f64
            } else {
                (spent as f64 / *typical as f64).min(0.95)
            };
            let mark = if r.state.is_terminal() { "✘" } else { "▶" };
            ((frac * BAR as f64) as usize, mark, duration(spent))
        } else {
            (0, " ", String::new())
        };
        let mut line = format!(
            " {mark} {name:<10} [{}{}] {time:>8}",
            "█".repeat(fill),
            "░".repeat(BAR - fill)
        );
        if *name == "locate" && (running || done) {
            line.push_str(&format!(
                "  Regions {}/{}",
                r.regions.len(),
                r.expected_regions.len()
            ));
        }
        if *name == "mirror"
            && let Some(m) = &r.mirror_ami
        {
            line.push_str(&format!("  {m}"));
        }
        if *name == "submit"
            && let Some(c) = &r.blocked_by
        {
            line.push_str(&format!("  waiting for {c}"));
        }
        if *name == "scan"
            && let Some(c) = &r.change_set
        {
            line.push_str(&format!("  {c}"));
        }
        lines.push(line);
    }
    if let Some(f) = &r.failure {
        lines.push(format!("   {}: {}", f.kind.label(), f.detail));
        lines.push(format!("   fix: {}", f.remedy));
    }
    lines
}
