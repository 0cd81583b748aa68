//! Translation: the [`Translator`] trait every engine implements, the one pipeline every text
//! takes on its way to an engine ([`TranslationPipeline`]), and the engines behind it.
//!
//! | module | its one job |
//! | --- | --- |
//! | this one | the trait and its contract, the languages, a translation, why one did not happen |
//! | [`settings`] | what the operator asks of every translation (formality, profanity, terminology) and the translating functions' settings |
//! | [`engine`] | the one place an engine is chosen ([`Engine`]); how to add one |
//! | [`limits`] | what bounds one request's translations: the caps, the calls in flight, the deadline |
//! | `split` | a text too long for one engine call cut into pieces at safe places, and the pieces joined |
//! | [`amazon`] | Amazon Translate: the client, its service-error readings, the credentials probe |
//! | [`pipeline`] | the pipeline: what it holds, what it offers, its phases in order |
//! | `batch` | one call's texts and each phase's work on them |
//! | [`template`] | per-user values replaced by numbered placeholders before the cache, the memory and the engine, and put back after |
//! | [`cache`] | the warm instance's LRU and what it keeps of each translation |
//! | [`uses`] | use counts waiting to be added to the memory |
//! | [`counters`] | what the pipeline counts, and the metric line it writes from them |
//! | [`part`] | the translation part a translating webhook is built from |

pub mod amazon;
mod batch;
pub mod cache;
pub mod counters;
pub mod engine;
pub mod limits;
pub mod part;
pub mod pipeline;
pub mod settings;
mod split;
pub mod template;
pub mod uses;

use std::future::Future;

use crate::aws::AwsError;

pub use amazon::{AmazonTranslate, MAX_TEXT_BYTES, aws_credentials_configured};
pub use cache::CACHE_MAX_TEXT_BYTES;
pub use counters::TranslateCounters;
pub use engine::Engine;
pub use limits::TranslateLimits;
pub use part::{Metered, TranslatedOutcome, Translating};
pub use pipeline::{Audience, MemoryKey, TranslationPipeline};
pub use settings::{Formality, TranslationConfig, TranslationSettings};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceLanguage {
    /// Let the engine detect it (Amazon Translate asks Amazon Comprehend).
    Auto,
    Code(String),
}

impl SourceLanguage {
    pub fn as_str(&self) -> &str {
        match self {
            SourceLanguage::Auto => "auto",
            SourceLanguage::Code(code) => code,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    pub text: String,
    /// The source language: the one given, or the one the engine detected.
    pub source: String,
}

/// One text's translation, or why it did not happen.
pub type TranslationResult = Result<Translation, TranslateError>;

/// Why a translation did not happen. Carries codes only, never the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    #[error("translation is off (no AWS credentials)")]
    Disabled,
    #[error("text of {bytes} bytes is over the engine's limit")]
    TextTooLong { bytes: usize },
    /// Beyond `MAX_TEXTS_PER_REPLY` or `MAX_TRANSLATE_CHARS`: not sent.
    #[error("beyond the request's translation cap")]
    BeyondCap,
    /// Not done by `TRANSLATE_REPLY_DEADLINE_MS`.
    #[error("the request's translation deadline passed")]
    DeadlinePassed,
    /// The answer lost, repeated or invented a protected piece: the original is kept instead.
    #[error("the translation did not keep the protected pieces")]
    MarkupLost,
    /// The call to the engine's service failed (see [`crate::aws::classify`]).
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl TranslateError {
    /// A short code for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            TranslateError::Disabled => "disabled",
            TranslateError::TextTooLong { .. } => "text_too_long",
            TranslateError::BeyondCap => "beyond_cap",
            TranslateError::DeadlinePassed => "deadline_passed",
            TranslateError::MarkupLost => "markup_lost",
            TranslateError::Aws(error) => error.kind(),
        }
    }
}

/// A translation engine, as the pipeline calls it: at most once per distinct text of a batch,
/// and never for a text with nothing to translate (only numbers, ids, protected terms).
///
/// # The protected-HTML contract
///
/// `text` is not what the user wrote but its protected form ([`crate::protect::Protected::html`]):
/// HTML in which
/// - every piece that must come back byte-identical (a URL, an e-mail address, code, an id or a
///   number, a protected term, a line break with its list marker) is an element
///   `<span translate="no" data-p="N">…</span>`;
/// - every markup pair whose inside is still prose (`**bold**`, a link's label, an HTML element)
///   is an element such as `<b data-p="N">…</b>`, whose inside is to be translated;
/// - the text's own `&`, `<` and `>` are escaped (`&amp;`, `&lt;`, `&gt;`).
///
/// The engine must answer with HTML of the same kind: the prose translated; every `data-p`
/// element exactly once, anywhere the target language puts it, with its tag and number; the
/// inside of a `translate="no"` span unchanged; no element it was not sent; the text escaped (the
/// way back decodes every entity). Amazon Translate does this by itself ("Using do-not-translate
/// in Amazon Translate", Amazon Translate Developer Guide); an engine that does not (an LLM) must
/// be told so in its request.
///
/// An answer that breaks the contract (a piece lost, repeated or invented, a tag left open) is
/// refused by the pipeline with [`TranslateError::MarkupLost`]: the caller keeps the original
/// text (fail open), and the answer is neither cached nor written to the memory.
///
/// Beyond the markup, an engine:
/// - answers [`Translation::source`] with the language it detected when given
///   [`SourceLanguage::Auto`] (a code as Amazon Translate spells it), or the one it was given;
/// - keeps its own deadline for the whole call, retries included, and fails with a
///   [`TranslateError`] that holds codes only, never the text;
/// - says in [`Translator::settings_key`] whatever else changes its output, since a cached or
///   remembered translation is reused only under the same key.
pub trait Translator: Send + Sync {
    fn translate(
        &self,
        text: &str,
        source: &SourceLanguage,
        target: &str,
    ) -> impl Future<Output = TranslationResult> + Send;

    /// What, beyond the text and the languages, changes this translator's output into `target`
    /// (settings, terminology, the engine itself): part of every cache and memory key.
    fn settings_key(&self, _target: &str) -> String {
        String::new()
    }
}
