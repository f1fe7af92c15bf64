//! Progress rendering: a bar per stack and one line per resource transition (human), or one JSON
//! object per line (`--output json`).

use std::collections::HashMap;
use std::io::{IsTerminal, Write};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::event::format_clock;
use super::tracker::{Outcome, Progress, Transition};
use super::watch::Sink;

/// Formats one transition as a progress line: time, logical id, type, status, reason.
pub fn transition_line(t: &Transition) -> String {
    let line = format!(
        "{}  {:<28} {:<42} {:<22}",
        format_clock(t.timestamp_ms),
        t.logical_id,
        t.resource_type,
        t.status
    );
    match &t.reason {
        Some(r) if !r.is_empty() => format!("{line} {r}"),
        _ => line.trim_end().to_string(),
    }
}

/// Human renderer: progress bars on stderr (only on a terminal), transition lines on stdout.
pub struct Human {
    multi: MultiProgress,
    bars: HashMap<String, ProgressBar>,
    tty: bool,
}

impl Default for Human {
    fn default() -> Self {
        Human::new()
    }
}

impl Human {
    /// Draws bars when stderr is a terminal; plain lines otherwise.
    pub fn new() -> Self {
        let tty = std::io::stderr().is_terminal();
        let target = if tty {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Human {
            multi: MultiProgress::with_draw_target(target),
            bars: HashMap::new(),
            tty,
        }
    }

    fn bar(&mut self, stack: &str) -> &ProgressBar {
        let multi = &self.multi;
        self.bars.entry(stack.to_string()).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new(0));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:.bold} [{bar:30}] {pos}/{len} {msg} ({elapsed})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix(stack.to_string());
            bar
        })
    }

    fn print(&self, line: &str) {
        self.multi.suspend(|| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        });
    }
}

impl Sink for Human {
    fn transition(&mut self, t: &Transition) {
        self.print(&transition_line(t));
    }

    fn progress(&mut self, stack: &str, p: Progress, status: Option<&str>) {
        let status = status.unwrap_or("").to_string();
        let bar = self.bar(stack);
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        bar.set_message(status);
    }

    fn finish(&mut self, stack: &str, outcome: &Outcome) {
        if let Some(bar) = self.bars.get(stack) {
            bar.finish();
        }
        let line = match outcome {
            Outcome::Succeeded { status } => format!("stack {stack}: {status}"),
            Outcome::Failed {
                status, rollback, ..
            } => format!(
                "stack {stack}: {status}; cause: {}; rollback: {}",
                outcome.cause_line().unwrap_or_default(),
                rollback.as_str()
            ),
            Outcome::Running => return,
        };
        if !self.tty || self.bars.contains_key(stack) {
            self.print(&line);
        }
    }
}

/// JSON-lines renderer: `{"event":"transition",...}`, `{"event":"progress",...}`,
/// `{"event":"finish",...}`, one object per line.
#[derive(Debug, Default)]
pub struct JsonLines {
    last: HashMap<String, Progress>,
    to_stderr: bool,
}

impl JsonLines {
    /// Lines on stdout (when the event stream is the command's output: `events --follow`).
    pub fn stdout() -> Self {
        JsonLines::default()
    }

    /// Lines on stderr (when stdout carries the command's final JSON document).
    pub fn stderr() -> Self {
        JsonLines {
            to_stderr: true,
            ..JsonLines::default()
        }
    }

    fn emit(&self, value: serde_json::Value) {
        if self.to_stderr {
            let mut out = std::io::stderr().lock();
            let _ = writeln!(out, "{value}");
        } else {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{value}");
            let _ = out.flush();
        }
    }
}

impl Sink for JsonLines {
    fn transition(&mut self, t: &Transition) {
        let mut v = serde_json::to_value(t).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            obj.insert("event".into(), json!("transition"));
            obj.insert(
                "time".into(),
                json!(super::event::format_iso(t.timestamp_ms)),
            );
        }
        self.emit(v);
    }

    fn progress(&mut self, stack: &str, p: Progress, status: Option<&str>) {
        if self.last.get(stack) == Some(&p) {
            return;
        }
        self.last.insert(stack.to_string(), p);
        self.emit(
            json!({"event": "progress", "stack": stack, "done": p.done, "total": p.total, "status": status}),
        );
    }

    fn finish(&mut self, stack: &str, outcome: &Outcome) {
        self.emit(json!({"event": "finish", "stack": stack, "outcome": outcome}));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::tracker::{Phase, Source};

    #[test]
    fn line_has_time_id_type_status_reason() {
        let t = Transition {
            stack: "s".into(),
            timestamp_ms: 1_565_645_754_151,
            logical_id: "Vpc".into(),
            resource_type: "AWS::EC2::VPC".into(),
            status: "CREATE_FAILED".into(),
            reason: Some("CIDR invalid".into()),
            phase: Phase::Failed,
            stack_level: false,
            source: Source::Event,
        };
        let line = transition_line(&t);
        assert!(line.starts_with("21:35:54  Vpc "), "{line}");
        assert!(line.contains("AWS::EC2::VPC"));
        assert!(line.contains("CREATE_FAILED"));
        assert!(line.ends_with("CIDR invalid"));
    }
}
