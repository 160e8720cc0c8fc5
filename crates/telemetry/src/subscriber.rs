//! The log subscriber of amipub's binaries: one line per event on standard error, as text for
//! people (`2026-12-03T10:00:00Z INFO  message`) or as JSON for machines (one object per line,
//! the event's fields and its spans' at the top level). `AMIPUB_LOG` (an `EnvFilter` directive
//! list, e.g. `amipub=debug`) overrides the default level; the AWS SDK, the HTTP stack, the
//! database driver and the AMQP client only speak at WARN unless asked.

use std::fmt;
use std::str::FromStr;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The environment variable that overrides the filter.
pub const FILTER_VAR: &str = "AMIPUB_LOG";

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// For people: time, level, message.
    #[default]
    Text,
    /// For machines: one JSON object per line.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("unknown log format {other:?}: use text or json")),
        }
    }
}

/// The filter when `AMIPUB_LOG` is not set: amipub's own events from `level` up, everybody
/// else's from WARN.
pub fn default_directives(level: &str) -> String {
    format!("warn,amipub={level}")
}

/// Installs the subscriber for the process with `default` as the filter unless `AMIPUB_LOG`
/// says otherwise (a second call does nothing). A bad `AMIPUB_LOG` is reported once and the
/// default used.
pub fn init(format: LogFormat, default: &str) {
    let (filter, bad) = match std::env::var(FILTER_VAR) {
        Ok(v) if !v.trim().is_empty() => match EnvFilter::try_new(&v) {
            Ok(f) => (f, None),
            Err(e) => (
                EnvFilter::new(default),
                Some(format!("{FILTER_VAR}={v:?}: {e}")),
            ),
        },
        _ => (EnvFilter::new(default), None),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder
            .event_format(Text)
            .fmt_fields(MessageFirst)
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
    };
    if let (Ok(()), Some(bad)) = (installed, bad) {
        tracing::warn!("{bad}; using {default}");
    }
}

/// `time LEVEL fields` for terminals and journals.
struct Text;

impl<S, N> FormatEvent<S, N> for Text
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
        write!(w, "{now} {:<5} ", event.metadata().level().as_str())?;
        ctx.format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

/// The message; then, for events that are not one of amipub's typed events (whose message
/// already says everything), the other fields as `key=value`.
struct MessageFirst;

#[derive(Default)]
struct Collected {
    message: String,
    typed: bool,
    rest: Vec<(&'static str, String)>,
}

impl Visit for Collected {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_owned(),
            "event" => self.typed = true,
            name => self.rest.push((name, value.to_owned())),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "event" => self.typed = true,
            name => self.rest.push((name, format!("{value:?}"))),
        }
    }
}

impl<'w> FormatFields<'w> for MessageFirst {
    fn format_fields<R: RecordFields>(&self, mut w: Writer<'w>, fields: R) -> fmt::Result {
        let mut c = Collected::default();
        fields.record(&mut c);
        write!(w, "{}", c.message)?;
        if !c.typed {
            for (k, v) in &c.rest {
                write!(w, " {k}={v}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_named_text_and_json_and_nothing_else() {
        assert_eq!("json".parse::<LogFormat>(), Ok(LogFormat::Json));
        assert_eq!("text".parse::<LogFormat>(), Ok(LogFormat::Text));
        let err = "yaml".parse::<LogFormat>().unwrap_err();
        assert!(err.contains("text or json"), "{err}");
    }

    #[test]
    fn the_default_quiets_everybody_but_amipub() {
        assert_eq!(default_directives("info"), "warn,amipub=info");
        assert!(EnvFilter::try_new(default_directives("info")).is_ok());
    }
}
