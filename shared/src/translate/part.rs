//! The translation part a translating webhook (pre-message, post-message, dialog) is built from:
//! the one pipeline, configured from the function's translation settings, and where the
//! function's metric line goes. A webhook takes it ready-made, so the webhook knows no engine,
//! no memory table and no cache size.

use std::future::Future;
use std::sync::Arc;

use super::Translator;
use super::counters::TranslateCounters;
use super::engine::Engine;
use super::pipeline::TranslationPipeline;
use super::settings::TranslationConfig;
use crate::memory::TranslationMemory;
use crate::metrics::{MetricLine, MetricsSink};
use crate::protect::Protector;
use crate::webhook::TurnOutcome;

pub struct Translating<T = Engine> {
    pipeline: TranslationPipeline<T>,
    metrics: MetricsSink,
}

impl Translating<Engine> {
    /// The part `function` runs with in production: its [`TranslationConfig`], the engine that
    /// chooses ([`Engine::configured`]) and the memory `TRANSLATION_TABLE` names, built without
    /// touching the network. A bad value fails the cold start with one line naming the variable.
    pub fn configured(function: &str) -> Result<Self, lambda_http::Error> {
        let config = crate::config::settings(function, TranslationConfig::read)?;
        let memory = match &config.memory {
            Some(memory) => format!(
                "on (table {}, {} days, admitted after {} sessions)",
                memory.table, memory.ttl_days, config.admission.sessions
            ),
            None => "off (TRANSLATION_TABLE unset)".to_owned(),
        };
        tracing::info!(
            function,
            translation_memory = %memory,
            protected_terms = config.protected_terms.len(),
            cache_entries = config.cache_entries,
            "translation configured"
        );
        let translating = Translating::new(&config, Engine::configured(&config));
        Ok(match &config.memory {
            Some(memory) => translating.with_memory(memory.open()),
            None => translating,
        })
    }
}

impl<T: Translator> Translating<T> {
    /// `engine` behind the pipeline `config` describes (warm cache size, protected terms, memory
    /// refresh interval, limits), with no memory and the metric line on stdout.
    pub fn new(config: &TranslationConfig, engine: T) -> Self {
        let protector = Protector::new(&config.protected_terms);
        let pipeline = TranslationPipeline::new(engine, config.cache_entries, protector)
            .with_refresh(config.memory_refresh)
            .with_admission(&config.admission)
            .with_templates(config.templates)
            .with_limits(config.limits);
        Translating { pipeline, metrics: MetricsSink::stdout() }
    }

    /// Serves and keeps translations in the shared translation `memory`.
    pub fn with_memory(mut self, memory: Arc<dyn TranslationMemory>) -> Self {
        self.pipeline = self.pipeline.with_memory(memory);
        self
    }

    /// Keeps this function's texts out of any shared memory (pre-message's users' own words,
    /// unless `TRANSLATION_MEMORY_INPUTS=on`).
    pub fn without_memory(mut self) -> Self {
        self.pipeline = self.pipeline.without_memory();
        self
    }

    /// Reads the shared memory but never writes a translation to it (dialog: what a caller sends
    /// is not the assistant's text, and a callout has no session to count).
    pub fn read_only(mut self) -> Self {
        self.pipeline = self.pipeline.read_only();
        self
    }

    /// Where the per-invocation metric line goes (stdout unless changed, for tests).
    pub fn with_metrics(mut self, sink: MetricsSink) -> Self {
        self.metrics = sink;
        self
    }

    /// The pipeline: cache, memory, protected spans, then the engine.
    pub fn pipeline(&self) -> &TranslationPipeline<T> {
        &self.pipeline
    }

    pub fn metrics(&self) -> &MetricsSink {
        &self.metrics
    }

    /// `work`'s result and what its translations cost: the pipeline's counters over it. A turn's
    /// log line and metric line both take their figures from this one value.
    pub async fn metered<R>(&self, work: impl Future<Output = R>) -> (R, TranslateCounters) {
        let before = self.pipeline.counters();
        let result = work.await;
        (result, self.pipeline.counters() - before)
    }
}

/// A translating function's outcome with what its translations cost ([`Translating::metered`]):
/// its log line's `translate_calls` and its metric line's figures are the same numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metered<O> {
    pub outcome: O,
    pub usage: TranslateCounters,
}

/// What a translating function's outcome says: its one log line, given the engine calls the
/// turn made, and whether a downstream fault degraded the answer.
pub trait TranslatedOutcome {
    fn log(&self, request_id: &str, translate_calls: u64);

    /// See [`TurnOutcome::downstream_fault`].
    fn downstream_fault(&self) -> bool;
}

impl<O: TranslatedOutcome> TurnOutcome for Metered<O> {
    fn log(&self, request_id: &str) {
        self.outcome.log(request_id, self.usage.calls);
    }

    fn downstream_fault(&self) -> bool {
        self.outcome.downstream_fault()
    }

    fn measure(&self, line: &mut MetricLine) {
        self.usage.measure(line);
    }
}
