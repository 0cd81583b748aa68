//! Language: the offline check, the codes, explicit choices, and the session's language state.

pub mod choice;
mod codes;
mod detector;
mod lexicon;
mod session;
pub mod voice;

pub use codes::{TRANSLATE_CODES, base, is_translate_code, known_codes, normalize};
pub use detector::{Detection, LanguageDetector, Strength, word_count};
pub use session::{
    LANGUAGE_KEY, LANGUAGE_LOCKED_KEY, ORIGINAL_INPUT_KEY, ORIGINAL_OUTPUT_KEY, Origin, SessionLanguage, is_locked,
    store_language, store_locked_language,
};

/// Whether the offline check knows this code (ignoring a region such as `zh-TW`).
pub fn is_known(code: &str) -> bool {
    known_codes().any(|known| known == codes::base(code))
}
