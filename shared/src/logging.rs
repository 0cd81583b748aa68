//! The functions' log subscriber: what `lambda_http::tracing::init_default_subscriber` sets up
//! (the level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO; `RUST_LOG`'s directives;
//! JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON`), with one difference: the Lambda runtime's own
//! targets never log below DEBUG, whatever those variables ask for.
//!
//! At TRACE, lambda_runtime logs every raw invocation event it receives ("raw JSON event received
//! from Lambda"), which for a function URL is the whole request: headers with the webhook's
//! credentials, and the body with the user's text. The filter below refuses TRACE for those
//! targets, so `RUST_LOG=trace` (or the Lambda console's TRACE log level) still shows the
//! functions' own TRACE lines, never that one.

use std::str::FromStr;

use lambda_http::tracing::subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets};
use lambda_http::tracing::subscriber::fmt::MakeWriter;
use lambda_http::tracing::subscriber::layer::SubscriberExt;
use lambda_http::tracing::subscriber::util::SubscriberInitExt;
use lambda_http::tracing::subscriber::{Layer, Registry, fmt};

/// The targets of the Lambda runtime crates (a target is the module path, so these cover their
/// submodules, such as `lambda_runtime::layers::api_response`, which logs the event).
pub const RUNTIME_TARGETS: [&str; 3] = ["lambda_runtime", "lambda_runtime_api_client", "lambda_http"];
/// The most those targets may log.
pub const RUNTIME_MAX_LEVEL: LevelFilter = LevelFilter::DEBUG;

const DEFAULT_LEVEL: LevelFilter = LevelFilter::INFO;

/// How the process asked to log: the variables `init_default_subscriber` reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogRequest {
    /// `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls).
    pub lambda_level: Option<String>,
    /// `RUST_LOG`: a level, or `tracing` directives.
    pub rust_log: Option<String>,
    /// `AWS_LAMBDA_LOG_FORMAT=JSON`.
    pub json: bool,
}

impl LogRequest {
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.trim().is_empty());
        LogRequest {
            lambda_level: var("AWS_LAMBDA_LOG_LEVEL"),
            rust_log: var("RUST_LOG"),
            json: var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|format| format.eq_ignore_ascii_case("json")),
        }
    }

    /// The default level, as lambda_http reads it: `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG` when
    /// it is a plain level, else INFO.
    fn level(&self) -> LevelFilter {
        let level = self.lambda_level.as_deref().or(self.rust_log.as_deref());
        level.and_then(|level| LevelFilter::from_str(level.trim()).ok()).unwrap_or(DEFAULT_LEVEL)
    }

    /// The level and `RUST_LOG`'s directives (a directive it cannot read is skipped, as
    /// lambda_http's `from_env_lossy` does).
    fn env_filter(&self) -> EnvFilter {
        let builder = EnvFilter::builder().with_default_directive(self.level().into());
        builder.parse_lossy(self.rust_log.as_deref().unwrap_or_default())
    }
}

/// Everything up to TRACE, except the runtime's targets, held at [`RUNTIME_MAX_LEVEL`].
pub fn runtime_clamp() -> Targets {
    RUNTIME_TARGETS.iter().fold(Targets::new().with_default(LevelFilter::TRACE), |targets, target| {
        targets.with_target(*target, RUNTIME_MAX_LEVEL)
    })
}

/// The subscriber for `request`, writing to `writer`. An event is written only when both the
/// requested filter and [`runtime_clamp`] let it through.
pub fn subscriber<W>(request: &LogRequest, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let format = fmt::layer().with_target(false).without_time().with_writer(writer);
    let format: Box<dyn Layer<Registry> + Send + Sync> =
        if request.json { format.json().boxed() } else { format.boxed() };
    let filter = request.env_filter().and(runtime_clamp());
    Registry::default().with(format.with_filter(filter))
}

/// Installs the subscriber for the process's environment, writing to stdout (what Lambda sends
/// to CloudWatch Logs). Called first in every function's `main`.
pub fn init() {
    // A second call (a test that starts two functions) keeps the first subscriber.
    let _ = subscriber(&LogRequest::from_env(), std::io::stdout).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What the subscriber for `request` writes of the runtime's event line and of our own lines.
    fn written(request: LogRequest) -> String {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = subscriber(&request, move || writer.clone());
        tracing::subscriber::with_default(subscriber, || {
            // The line lambda_runtime writes for every invocation (src/layers/api_response.rs).
            tracing::trace!(
                target: "lambda_runtime::layers::api_response",
                body = "{\"body\":\"the user's words\"}",
                "raw JSON event received from Lambda"
            );
            tracing::trace!(target: "lambda_http::request", "http trace");
            tracing::debug!(target: "lambda_runtime::runtime", "runtime debug");
            tracing::trace!(target: "premessage::decide", "our trace");
            tracing::info!(target: "premessage", "our info");
        });
        String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
    }

    fn request(lambda_level: Option<&str>, rust_log: Option<&str>) -> LogRequest {
        LogRequest { lambda_level: lambda_level.map(Into::into), rust_log: rust_log.map(Into::into), json: true }
    }

    #[test]
    fn trace_never_shows_the_runtime_s_event_line() {
        for asked in [
            request(Some("TRACE"), None),
            request(None, Some("trace")),
            request(None, Some("lambda_runtime=trace,lambda_http=trace,trace")),
        ] {
            let text = written(asked.clone());
            assert!(!text.contains("the user's words") && !text.contains("raw JSON event"), "{asked:?}: {text}");
            assert!(!text.contains("http trace"), "{asked:?}: {text}");
            assert!(text.contains("our trace") && text.contains("our info"), "our TRACE lines still show: {asked:?}");
            assert!(text.contains("runtime debug"), "the runtime's DEBUG lines still show: {asked:?}");
        }
        // Asked for that one target alone.
        let text = written(request(Some("trace"), Some("lambda_runtime::layers::api_response=trace")));
        assert!(!text.contains("the user's words"), "{text}");
    }

    #[test]
    fn the_level_is_read_as_lambda_http_reads_it() {
        let text = written(LogRequest::default());
        assert!(text.contains("our info") && !text.contains("our trace") && !text.contains("runtime debug"), "{text}");
        let text = written(request(Some("warn"), None));
        assert!(!text.contains("our info") && !text.contains("runtime debug"), "AWS_LAMBDA_LOG_LEVEL: {text}");
        let line: serde_json::Value =
            serde_json::from_str(written(request(None, None)).lines().next().unwrap()).unwrap();
        assert_eq!(line["fields"]["message"], "our info", "JSON lines, as AWS_LAMBDA_LOG_FORMAT=JSON asks");
    }
}
