//! Cost and health metrics in CloudWatch Embedded Metric Format: one JSON line per invocation on
//! stdout, which CloudWatch turns into metrics with no API call and no extra latency.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::translate::TranslateCounters;

pub const NAMESPACE: &str = "WatsonWebhooks";

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

    fn write_line(&self, line: &str) {
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

/// One invocation's measurements: started when the request arrives, emitted when it is answered.
pub struct Invocation {
    started: Instant,
    before: TranslateCounters,
}

impl Invocation {
    pub fn start(counters: TranslateCounters) -> Self {
        Invocation { started: Instant::now(), before: counters }
    }

    /// Writes the EMF line: Translate calls, characters sent, cache hits and misses, memory hits,
    /// misses and reviewed hits, whether the
    /// message passed through after a fault, and the handler's duration.
    pub fn finish(
        self,
        sink: &MetricsSink,
        function: &str,
        counters: TranslateCounters,
        passed_through_after_fault: bool,
    ) {
        let delta = counters - self.before;
        let duration_ms = duration_ms(self.started.elapsed());
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let line = json!({
            "_aws": {
                "Timestamp": timestamp,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["Function"]],
                    "Metrics": [
                        {"Name": "TranslateCalls", "Unit": "Count"},
                        {"Name": "TranslatedCharacters", "Unit": "Count"},
                        {"Name": "CacheHits", "Unit": "Count"},
                        {"Name": "CacheMisses", "Unit": "Count"},
                        {"Name": "MemoryHits", "Unit": "Count"},
                        {"Name": "MemoryMisses", "Unit": "Count"},
                        {"Name": "ReviewedHits", "Unit": "Count"},
                        {"Name": "PassThroughAfterFault", "Unit": "Count"},
                        {"Name": "HandlerDuration", "Unit": "Milliseconds"}
                    ]
                }]
            },
            "Function": function,
            "TranslateCalls": delta.calls,
            "TranslatedCharacters": delta.characters,
            "CacheHits": delta.cache_hits,
            "CacheMisses": delta.cache_misses,
            "MemoryHits": delta.memory_hits,
            "MemoryMisses": delta.memory_misses,
            "ReviewedHits": delta.reviewed_hits,
            "PassThroughAfterFault": u8::from(passed_through_after_fault),
            "HandlerDuration": duration_ms,
        });
        sink.write_line(&line.to_string());
    }
}

fn duration_ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_emf_line_with_the_invocation_s_differences() {
        let (sink, lines) = MetricsSink::buffer();
        let before = TranslateCounters {
            calls: 5,
            characters: 100,
            cache_hits: 1,
            cache_misses: 5,
            memory_hits: 2,
            memory_misses: 1,
            reviewed_hits: 0,
        };
        let invocation = Invocation::start(before);
        let after = TranslateCounters {
            calls: 7,
            characters: 130,
            cache_hits: 4,
            cache_misses: 7,
            memory_hits: 6,
            memory_misses: 2,
            reviewed_hits: 1,
        };
        invocation.finish(&sink, "postmessage", after, false);
        let text = String::from_utf8(lines.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1);
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().unwrap().len(), 9);
        assert_eq!((line["Function"].as_str(), line["TranslateCalls"].as_u64()), (Some("postmessage"), Some(2)));
        assert_eq!((line["TranslatedCharacters"].as_u64(), line["CacheHits"].as_u64()), (Some(30), Some(3)));
        assert_eq!((line["CacheMisses"].as_u64(), line["PassThroughAfterFault"].as_u64()), (Some(2), Some(0)));
        assert_eq!(
            (line["MemoryHits"].as_u64(), line["MemoryMisses"].as_u64(), line["ReviewedHits"].as_u64()),
            (Some(4), Some(1), Some(1))
        );
        assert!(line["HandlerDuration"].as_f64().unwrap() >= 0.0);
        assert!(line["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
    }
}
