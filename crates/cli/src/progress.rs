//! Progress of one release on stderr: on a terminal, an `indicatif` bar per phase (admit,
//! mirror, grant, submit, scan, locate, parameters, announce) redrawn in place, with a Region counter on
//! `locate`; elsewhere (logs, CI, pipes) one line per transition. Durations are the engine's
//! (virtual time against the sandbox).

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

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

/// The phases of a second-party release (as many as the catalog path's: the bars are made
/// before the release is known).
const SECOND_PARTY_PHASES: &[(&str, State, State, i64)] = &[
    ("admit", State::Received, State::Received, 5),
    ("clone", State::Admitted, State::Cloning, 900),
    ("share+form", State::Cloned, State::Shared, 30),
    (
        "submission",
        State::AwaitingSubmission,
        State::AwaitingSubmission,
        86_400,
    ),
    ("marketplace", State::Submitted, State::Submitted, 345_600),
    ("locate", State::Published, State::Published, 1_500),
    ("parameters", State::Located, State::Located, 10),
    ("announce", State::ParametersWritten, State::Announced, 5),
];

/// The phases of the release's path.
fn phases(r: &Release) -> &'static [(&'static str, State, State, i64)] {
    if r.second_party.is_some() {
        SECOND_PARTY_PHASES
    } else {
        PHASES
    }
}

/// The display.
pub struct Progress {
    bars: Option<Bars>,
    seen: usize,
    regions: usize,
    clones: usize,
}

/// The terminal's bars: a header, one bar per phase, the failure below.
struct Bars {
    multi: MultiProgress,
    header: ProgressBar,
    phases: Vec<ProgressBar>,
    footer: ProgressBar,
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

/// Bars are drawn in thousandths.
const SCALE: u64 = 1000;

fn text_line(multi: &MultiProgress) -> ProgressBar {
    let bar = multi.add(ProgressBar::new(1));
    bar.set_style(
        ProgressStyle::with_template("{wide_msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

impl Bars {
    fn new() -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let header = text_line(&multi);
        let style = ProgressStyle::with_template(" {prefix} [{bar:24}] {msg}")
            .map(|s| s.progress_chars("█░"))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let phases = PHASES
            .iter()
            .map(|_| {
                let bar = multi.add(ProgressBar::new(SCALE));
                bar.set_style(style.clone());
                bar
            })
            .collect();
        let footer = text_line(&multi);
        Self {
            multi,
            header,
            phases,
            footer,
        }
    }

    fn draw(&self, r: &Release, timeline: &[TimelineEntry], now: i64) {
        self.header.set_message(header(r));
        for (bar, row) in self.phases.iter().zip(rows(r, timeline, now)) {
            bar.set_prefix(format!("{} {:<10}", row.mark, row.name));
            bar.set_position((row.frac * SCALE as f64) as u64);
            bar.set_message(format!("{:>8}{}", row.time, row.extra));
        }
        self.footer.set_message(
            r.failure
                .as_ref()
                .map(|f| format!("   {}: {}\n   fix: {}", f.kind.label(), f.detail, f.remedy))
                .unwrap_or_default(),
        );
    }
}

impl Progress {
    /// A display; `tty` draws bars in place, else one line per transition.
    pub fn new(tty: bool) -> Self {
        Self {
            bars: tty.then(Bars::new),
            seen: 0,
            regions: 0,
            clones: 0,
        }
    }

    /// A remark between updates.
    pub fn note(&mut self, text: &str) {
        match &self.bars {
            Some(b) => {
                let _ = b.multi.println(format!("  ! {text}"));
            }
            None => eprintln!("  ! {text}"),
        }
    }

    /// Shows the release.
    pub fn show(&mut self, r: &Release, timeline: &[TimelineEntry], now: i64) {
        if let Some(b) = &self.bars {
            b.draw(r, timeline, now);
            return;
        }
        let clones = r
            .second_party
            .as_ref()
            .map_or(0, |sp| sp.cloned_count(&r.expected_regions));
        if clones != self.clones {
            self.clones = clones;
            eprintln!(
                "            Clones  {clones:>2}/{}",
                r.expected_regions.len()
            );
        }
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

    /// Leaves the last drawing in place.
    pub fn finish(&mut self) {
        if let Some(b) = self.bars.take() {
            b.header.abandon();
            for bar in &b.phases {
                bar.abandon();
            }
            b.footer.abandon();
        }
    }
}

/// The first line: product, version, id and state.
fn header(r: &Release) -> String {
    format!(
        "{} {} — {} ({})",
        r.product,
        r.version,
        r.id,
        r.state.name()
    )
}

/// One phase as drawn: its mark (done, running, failed or not yet), how full its bar is, the
/// time it took or has taken, and what it is working on.
struct Row {
    name: &'static str,
    mark: &'static str,
    frac: f64,
    time: String,
    extra: String,
}

/// Every phase of the release, in order.
fn rows(r: &Release, timeline: &[TimelineEntry], now: i64) -> Vec<Row> {
    let failed_at = r.failure.as_ref().map(|f| f.step);
    let current = failed_at.unwrap_or(r.state);
    let phases = phases(r);
    phases
        .iter()
        .enumerate()
        .map(|(i, (name, first, last, typical))| {
            let end = phases.get(i + 1).map_or(State::Done, |p| p.1);
            let start_at = entered(timeline, *first);
            let done =
                current >= end && current <= State::Done && failed_at.is_none_or(|f| f > *last);
            let running = current >= *first && current <= *last;
            let (frac, mark, time) = if done {
                let took = match (start_at, entered(timeline, end)) {
                    (Some(a), Some(b)) => duration(b - a),
                    _ => String::new(),
                };
                (1.0, "✔", took)
            } else if running {
                let spent = start_at.map_or(0, |a| now - a);
                let frac = if *name == "locate" && !r.expected_regions.is_empty() {
                    r.regions.len() as f64 / r.expected_regions.len() as f64
                } else if let (true, Some(sp)) = (*name == "clone", &r.second_party) {
                    let n = r.expected_regions.len().max(1);
                    sp.cloned_count(&r.expected_regions) as f64 / n as f64
                } else {
                    (spent as f64 / *typical as f64).min(0.95)
                };
                let mark = if r.state.is_terminal() { "✘" } else { "▶" };
                (frac, mark, duration(spent))
            } else {
                (0.0, " ", String::new())
            };
            Row {
                name,
                mark,
                frac,
                time,
                extra: extra(r, name, running || done),
            }
        })
        .collect()
}

/// What a phase is working on: Regions found or cloned, the mirror, the lock holder, the change
/// set, the load form, the Marketplace ticket.
fn extra(r: &Release, name: &str, shown: bool) -> String {
    let found = match name {
        "locate" if shown => Some(format!(
            "Regions {}/{}",
            r.regions.len(),
            r.expected_regions.len()
        )),
        "mirror" => r.mirror_ami.clone(),
        "submit" => r.blocked_by.as_ref().map(|c| format!("waiting for {c}")),
        "scan" => r.change_set.clone(),
        "clone" if shown => r.second_party.as_ref().map(|sp| {
            let n = sp.cloned_count(&r.expected_regions);
            format!("Regions {n}/{} cloned", r.expected_regions.len())
        }),
        "submission" => r.second_party.as_ref().and_then(|sp| sp.form.clone()),
        "marketplace" => r.second_party.as_ref().and_then(|sp| sp.ticket.clone()),
        _ => None,
    };
    found.map(|f| format!("  {f}")).unwrap_or_default()
}
