//! Cost and health metrics in CloudWatch Embedded Metric Format: one JSON line per invocation on
//! stdout, which CloudWatch turns into metrics with no API call and no extra latency
//! ("Specification: Embedded metric format", Amazon CloudWatch User Guide).
//!
//! A metric is declared once, as a typed constant ([`Count`] or [`Milliseconds`]) that carries
//! its name and unit; [`MetricLine`] writes both the declaration (`_aws.CloudWatchMetrics`) and
//! the value from that one constant, so the two never disagree. The edge puts the figures every
//! function has ([`PASS_THROUGH_AFTER_FAULT`], [`HANDLER_DURATION`]); a function's outcome puts
//! its own (the translating functions': `crate::translate::counters`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

pub const NAMESPACE: &str = "WatsonWebhooks";
/// The one dimension of every metric: the function's name.
pub const DIMENSION: &str = "Function";

/// A metric counted in whole numbers (EMF unit `Count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub &'static str);

/// A metric measured in milliseconds (EMF unit `Milliseconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Milliseconds(pub &'static str);

/// 1 when a downstream fault degraded the answer (see `TurnOutcome::downstream_fault`).
pub const PASS_THROUGH_AFTER_FAULT: Count = Count("PassThroughAfterFault");
/// From the request's arrival to its answer.
pub const HANDLER_DURATION: Milliseconds = Milliseconds("HandlerDuration");

/// One invocation's metric line, filled metric by metric.
#[derive(Debug, Clone)]
pub struct MetricLine {
    function: &'static str,
    /// (name, unit, value), in the order put.
    figures: Vec<(&'static str, &'static str, Value)>,
}

impl MetricLine {
    pub fn new(function: &'static str) -> Self {
        MetricLine { function, figures: Vec::new() }
    }

    pub fn count(&mut self, metric: Count, value: u64) {
        self.figures.push((metric.0, "Count", value.into()));
    }

    /// In milliseconds, to the microsecond.
    pub fn duration(&mut self, metric: Milliseconds, value: Duration) {
        let milliseconds = (value.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0;
        self.figures.push((metric.0, "Milliseconds", milliseconds.into()));
    }

    /// The EMF document, stamped `timestamp_ms` (milliseconds since the epoch).
    pub fn render(&self, timestamp_ms: u64) -> String {
        let declared: Vec<Value> =
            self.figures.iter().map(|(name, unit, _)| json!({"Name": name, "Unit": unit})).collect();
        let mut line = Map::new();
        line.insert(
            "_aws".to_owned(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{"Namespace": NAMESPACE, "Dimensions": [[DIMENSION]], "Metrics": declared}],
            }),
        );
        line.insert(DIMENSION.to_owned(), Value::from(self.function));
        for (name, _, value) in &self.figures {
            line.insert((*name).to_owned(), value.clone());
        }
        Value::Object(line).to_string()
    }
}

/// Where the metric lines go: stdout in Lambda, a buffer in tests.
#[derive(Clone, Default)]
pub struct MetricsSink(Option<Arc<Mutex<Vec<u8>>>>);

impl MetricsSink {
    pub fn stdout() -> Self {
        MetricsSink(None)
    }

    /// A sink that keeps the lines, and the handle to read them.
    pub fn buffer() -> (Self, Arc<Mutex<Vec<u8>>>) {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        (MetricsSink(Some(buffer.clone())), buffer)
    }

    /// `line`, stamped now.
    pub fn write(&self, line: &MetricLine) {
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let line = line.render(timestamp);
        match &self.0 {
            Some(buffer) => {
                if let Ok(mut buffer) = buffer.lock() {
                    buffer.extend_from_slice(line.as_bytes());
                    buffer.push(b'\n');
                }
            }
            // `println!` rather than a raw stdout write, so that test harnesses capture it.
            None => println!("{line}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_emf_line_declares_what_it_carries() {
        let (sink, lines) = MetricsSink::buffer();
        let mut line = MetricLine::new("postmessage");
        line.count(Count("Apples"), 3);
        line.count(PASS_THROUGH_AFTER_FAULT, 0);
        line.duration(HANDLER_DURATION, Duration::from_micros(12_345));
        sink.write(&line);
        let text = String::from_utf8(lines.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1);
        let line: Value = serde_json::from_str(text.trim()).unwrap();
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Dimensions"], json!([["Function"]]));
        assert_eq!(
            directive["Metrics"],
            json!([
                {"Name": "Apples", "Unit": "Count"},
                {"Name": "PassThroughAfterFault", "Unit": "Count"},
                {"Name": "HandlerDuration", "Unit": "Milliseconds"}
            ])
        );
        assert_eq!((line["Function"].as_str(), line["Apples"].as_u64()), (Some("postmessage"), Some(3)));
        assert_eq!(line["PassThroughAfterFault"].as_u64(), Some(0));
        assert_eq!(line["HandlerDuration"].as_f64(), Some(12.345));
        assert!(line["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
    }
}
