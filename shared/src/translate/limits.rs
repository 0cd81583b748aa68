//! What bounds one request's translations: how many distinct texts and characters it may send
//! (the caps), how many engine calls are in flight at once, and the deadline for all of it, CPU
//! work included. A text beyond a cap, or not done by the deadline, goes out as it was.
//!
//! The defaults come from real replies: IBM's own examples in `tests/data` hold at most 31
//! distinct user-visible texts (the response types reference) and 2,039 characters (a
//! conversational-search answer with its citations), so the caps leave ample room for a large
//! table or a long generated answer and still bound a malformed or hostile reply.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::time::Instant;

use super::{TranslateError, TranslationResult};
use crate::config::{ConfigError, Variables};
use crate::protect::Protected;

/// `MAX_TEXTS_PER_REPLY`: eight times IBM's largest example, a table of 20 rows of 10 cells with
/// its headers, and at the default concurrency at most 16 rounds of calls.
pub const DEFAULT_MAX_TEXTS_PER_REPLY: u64 = 250;
/// `MAX_TRANSLATE_CHARS`: a 50 KB generated answer with the rest of its reply (Amazon Translate's
/// own ceiling for one synchronous document is 100,000 characters); at most $1.50 of Translate
/// at its list price of $15 per million characters.
pub const DEFAULT_MAX_TRANSLATE_CHARS: u64 = 100_000;
/// `TRANSLATE_CONCURRENCY`: engine calls in flight at once. A 50 KB answer is about 10 pieces,
/// so it goes in one round; each call in flight holds a connection and its buffers.
pub const DEFAULT_TRANSLATE_CONCURRENCY: u64 = 16;
/// `TRANSLATE_REPLY_DEADLINE_MS`: half the functions' 10 s Timeout, so a reply past it still
/// goes out, and below the 8 s at which the assistant gives up on a dialog callout.
pub const DEFAULT_TRANSLATE_REPLY_DEADLINE_MS: u64 = 5000;

/// The bounds of one request's translations, read once at cold start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TranslateLimits {
    /// `MAX_TEXTS_PER_REPLY`: distinct texts one request may translate.
    pub max_texts: usize,
    /// `MAX_TRANSLATE_CHARS`: characters of those texts.
    pub max_chars: usize,
    /// `TRANSLATE_CONCURRENCY`: engine calls in flight at once.
    pub concurrency: usize,
    /// `TRANSLATE_REPLY_DEADLINE_MS`: for all of one request's translations, CPU work included.
    pub deadline: Duration,
}

impl Default for TranslateLimits {
    fn default() -> Self {
        TranslateLimits {
            max_texts: DEFAULT_MAX_TEXTS_PER_REPLY as usize,
            max_chars: DEFAULT_MAX_TRANSLATE_CHARS as usize,
            concurrency: DEFAULT_TRANSLATE_CONCURRENCY as usize,
            deadline: Duration::from_millis(DEFAULT_TRANSLATE_REPLY_DEADLINE_MS),
        }
    }
}

impl TranslateLimits {
    pub fn read(variables: &Variables) -> Result<Self, ConfigError> {
        let max_texts = variables.number("MAX_TEXTS_PER_REPLY", DEFAULT_MAX_TEXTS_PER_REPLY, 1..=5_000)?;
        let max_chars = variables.number("MAX_TRANSLATE_CHARS", DEFAULT_MAX_TRANSLATE_CHARS, 100..=1_000_000)?;
        let concurrency = variables.number("TRANSLATE_CONCURRENCY", DEFAULT_TRANSLATE_CONCURRENCY, 1..=64)?;
        let deadline =
            variables.number("TRANSLATE_REPLY_DEADLINE_MS", DEFAULT_TRANSLATE_REPLY_DEADLINE_MS, 100..=9_000)?;
        Ok(TranslateLimits {
            max_texts: max_texts as usize,
            max_chars: max_chars as usize,
            concurrency: concurrency as usize,
            deadline: Duration::from_millis(deadline),
        })
    }
}

/// Which of a request's texts are within the caps, in order: a text seen before is in if it was;
/// once a new text would pass a cap, it and every later new text are out.
#[derive(Debug)]
pub(super) struct Caps<'a> {
    limits: TranslateLimits,
    admitted: HashSet<&'a str>,
    chars: usize,
    /// The variable whose cap was reached.
    reached: Option<&'static str>,
    /// Texts left out (duplicates included).
    beyond: usize,
}

impl<'a> Caps<'a> {
    pub fn new(limits: TranslateLimits) -> Self {
        Caps { limits, admitted: HashSet::new(), chars: 0, reached: None, beyond: 0 }
    }

    /// `Ok` for a text to translate, the cap it is beyond otherwise.
    pub fn admit(&mut self, text: &'a str) -> Result<(), TranslateError> {
        if self.admitted.contains(text) {
            return Ok(());
        }
        if self.reached.is_none() {
            let chars = text.chars().count();
            if self.admitted.len() >= self.limits.max_texts {
                self.reached = Some("MAX_TEXTS_PER_REPLY");
            } else if self.chars + chars > self.limits.max_chars {
                self.reached = Some("MAX_TRANSLATE_CHARS");
            } else {
                self.chars += chars;
                self.admitted.insert(text);
                return Ok(());
            }
        }
        self.beyond += 1;
        Err(TranslateError::BeyondCap)
    }

    /// Texts left out, and the one log line that says so (no text in it).
    pub fn report(&self) -> usize {
        if let Some(cap) = self.reached {
            tracing::warn!(
                cap,
                translated_texts = self.admitted.len(),
                translated_chars = self.chars,
                texts_beyond = self.beyond,
                "a translation cap was reached: the texts beyond it go out as they were"
            );
        }
        self.beyond
    }
}

/// `engine`'s call for every item of `calls`, at most `concurrency` in flight, results in order; a
/// call not done by `deadline` is dropped (its connection with it) and one not yet started never
/// is: both [`TranslateError::DeadlinePassed`]. A call's future is made only when it starts, so a
/// long batch holds `concurrency` of them, not one per text.
pub(super) async fn drive<'a, F>(
    calls: Vec<(&'a str, Option<Protected>)>,
    engine: &impl Fn(&'a str, Option<Protected>) -> F,
    concurrency: usize,
    deadline: Instant,
) -> Vec<TranslationResult>
where
    F: Future<Output = TranslationResult>,
{
    let mut results: Vec<Option<TranslationResult>> = (0..calls.len()).map(|_| None).collect();
    let mut waiting = calls.into_iter().enumerate();
    let mut running = FuturesUnordered::new();
    loop {
        while running.len() < concurrency.max(1) {
            let Some((index, (text, scanned))) = waiting.next() else { break };
            let call = engine(text, scanned);
            running.push(async move { (index, call.await) });
        }
        match tokio::time::timeout_at(deadline, running.next()).await {
            Ok(Some((index, result))) => results[index] = Some(result),
            Ok(None) | Err(_) => break,
        }
    }
    results.into_iter().map(|result| result.unwrap_or(Err(TranslateError::DeadlinePassed))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::Translation;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn limits(vars: &[(&str, &str)]) -> Result<TranslateLimits, ConfigError> {
        TranslateLimits::read(&vars.into())
    }

    #[test]
    fn defaults_and_the_variable_a_bad_value_names() {
        assert_eq!(limits(&[]).unwrap(), TranslateLimits::default());
        let set = limits(&[("MAX_TEXTS_PER_REPLY", "10"), ("TRANSLATE_CONCURRENCY", "2")]).unwrap();
        assert_eq!((set.max_texts, set.concurrency), (10, 2));
        for (variable, value) in [
            ("MAX_TEXTS_PER_REPLY", "0"),
            ("MAX_TRANSLATE_CHARS", "lots"),
            ("TRANSLATE_CONCURRENCY", "65"),
            ("TRANSLATE_REPLY_DEADLINE_MS", "10000"),
        ] {
            let error = limits(&[(variable, value)]).unwrap_err().to_string();
            assert!(error.starts_with(&format!("{variable} is invalid")), "{error}");
        }
    }

    #[test]
    fn the_texts_before_a_cap_are_in_and_every_new_one_after_it_out() {
        let mut caps = Caps::new(TranslateLimits { max_texts: 2, max_chars: 10, ..TranslateLimits::default() });
        assert!(caps.admit("abc").is_ok());
        assert!(caps.admit("abc").is_ok(), "a repeat is not a new text");
        assert!(caps.admit("defg").is_ok());
        assert_eq!(caps.admit("h"), Err(TranslateError::BeyondCap), "a third text");
        assert!(caps.admit("abc").is_ok(), "still in");
        assert_eq!(caps.report(), 1);

        let mut chars = Caps::new(TranslateLimits { max_texts: 100, max_chars: 5, ..TranslateLimits::default() });
        assert!(chars.admit("ñandú").is_ok(), "characters, not bytes");
        assert_eq!(chars.admit("x"), Err(TranslateError::BeyondCap));
        assert_eq!(chars.admit("y"), Err(TranslateError::BeyondCap));
        assert_eq!(chars.report(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_the_limit_in_flight_and_nothing_after_the_deadline() {
        let in_flight = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let call = |text: &str, _: Option<Protected>| {
            let (in_flight, most, text) = (&in_flight, &most, text.to_owned());
            async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                Ok(Translation { text, source: "en".into() })
            }
        };
        // 10 calls of 100 ms, 3 at a time: rounds end at 100, 200, 300 and 400 ms.
        let texts: Vec<String> = (0..10).map(|n| n.to_string()).collect();
        let calls = texts.iter().map(|text| (text.as_str(), None)).collect();
        let deadline = Instant::now() + Duration::from_millis(250);
        let results = drive(calls, &call, 3, deadline).await;
        assert_eq!(most.load(Ordering::SeqCst), 3);
        let done: Vec<String> = results.iter().filter_map(|r| r.as_ref().ok().map(|t| t.text.clone())).collect();
        assert_eq!(done, ["0", "1", "2", "3", "4", "5"], "in order, the first two rounds");
        assert!(results[6..].iter().all(|r| *r == Err(TranslateError::DeadlinePassed)));
    }
}
