//! Language codes: Amazon Translate's ISO 639-1 codes, and the detector's languages behind them.

use whatlang::Lang;

/// The languages the offline check can recognise, by the code Amazon Translate uses.
const LANGUAGES: &[(&str, Lang)] = &[
    ("af", Lang::Afr),
    ("am", Lang::Amh),
    ("ar", Lang::Ara),
    ("az", Lang::Aze),
    ("be", Lang::Bel),
    ("bg", Lang::Bul),
    ("bn", Lang::Ben),
    ("ca", Lang::Cat),
    ("cs", Lang::Ces),
    ("cy", Lang::Cym),
    ("da", Lang::Dan),
    ("de", Lang::Deu),
    ("el", Lang::Ell),
    ("en", Lang::Eng),
    ("es", Lang::Spa),
    ("et", Lang::Est),
    ("fa", Lang::Pes),
    ("fi", Lang::Fin),
    ("fr", Lang::Fra),
    ("gu", Lang::Guj),
    ("he", Lang::Heb),
    ("hi", Lang::Hin),
    ("hr", Lang::Hrv),
    ("hu", Lang::Hun),
    ("hy", Lang::Hye),
    ("id", Lang::Ind),
    ("it", Lang::Ita),
    ("ja", Lang::Jpn),
    ("ka", Lang::Kat),
    ("kn", Lang::Kan),
    ("ko", Lang::Kor),
    ("lt", Lang::Lit),
    ("lv", Lang::Lav),
    ("mk", Lang::Mkd),
    ("ml", Lang::Mal),
    ("mr", Lang::Mar),
    ("nl", Lang::Nld),
    ("no", Lang::Nob),
    ("pa", Lang::Pan),
    ("pl", Lang::Pol),
    ("pt", Lang::Por),
    ("ro", Lang::Ron),
    ("ru", Lang::Rus),
    ("si", Lang::Sin),
    ("sk", Lang::Slk),
    ("sl", Lang::Slv),
    ("sr", Lang::Srp),
    ("sv", Lang::Swe),
    ("ta", Lang::Tam),
    ("te", Lang::Tel),
    ("th", Lang::Tha),
    ("tl", Lang::Tgl),
    ("tr", Lang::Tur),
    ("uk", Lang::Ukr),
    ("ur", Lang::Urd),
    ("uz", Lang::Uzb),
    ("vi", Lang::Vie),
    ("zh", Lang::Cmn),
];

/// Every language code Amazon Translate supports ("Supported languages and language codes",
/// https://docs.aws.amazon.com/translate/latest/dg/what-is-languages.html).
pub const TRANSLATE_CODES: &[&str] = &[
    "af", "sq", "am", "ar", "hy", "az", "bn", "bs", "bg", "ca", "zh", "zh-TW", "hr", "cs", "da", "fa-AF", "nl", "en",
    "et", "fa", "tl", "fi", "fr", "fr-CA", "ka", "de", "el", "gu", "ht", "ha", "he", "hi", "hu", "is", "id", "ga",
    "it", "ja", "kn", "kk", "ko", "lv", "lt", "mk", "ms", "ml", "mt", "mr", "mn", "no", "ps", "pl", "pt", "pt-PT",
    "pa", "ro", "ru", "sr", "si", "sk", "sl", "so", "es", "es-MX", "sw", "sv", "ta", "te", "th", "tr", "uk", "ur",
    "uz", "vi", "cy",
];

/// Whether Amazon Translate supports this language (a region such as `pt-PT` or `es-MX` counts
/// only where Translate has it; `pt-BR` is Translate's `pt`).
pub fn is_translate_code(code: &str) -> bool {
    TRANSLATE_CODES.iter().any(|known| known.eq_ignore_ascii_case(code) || *known == base(code))
}

pub(crate) fn to_whatlang(code: &str) -> Option<Lang> {
    LANGUAGES.iter().find(|(c, _)| *c == code).map(|(_, lang)| *lang)
}

pub(crate) fn from_whatlang(lang: Lang) -> Option<&'static str> {
    LANGUAGES.iter().find(|(_, l)| *l == lang).map(|(code, _)| *code)
}

/// Every code the offline check knows, for error messages.
pub fn known_codes() -> impl Iterator<Item = &'static str> {
    LANGUAGES.iter().map(|(code, _)| *code)
}

/// Normalises a language tag to the code used here: `en-US` → `en`, `ES` → `es`,
/// `zh-TW`/`zh-Hant` → `zh-TW` (Translate's code for Traditional Chinese). `None` for anything
/// that is not a plausible tag.
pub fn normalize(tag: &str) -> Option<String> {
    let tag = tag.trim().replace('_', "-");
    let mut parts = tag.split('-');
    let primary = parts.next()?.to_ascii_lowercase();
    if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let rest: Vec<String> = parts.map(str::to_ascii_lowercase).collect();
    if primary == "zh" && rest.iter().any(|part| part == "tw" || part == "hant" || part == "hk") {
        return Some("zh-TW".to_owned());
    }
    Some(primary)
}

/// The detector's language for a code, ignoring a region (`zh-TW` → Chinese).
pub fn base(code: &str) -> &str {
    code.split('-').next().unwrap_or(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_browser_and_config_tags() {
        assert_eq!(normalize("en-US").as_deref(), Some("en"));
        assert_eq!(normalize(" ES ").as_deref(), Some("es"));
        assert_eq!(normalize("pt_BR").as_deref(), Some("pt"));
        assert_eq!(normalize("zh-Hant-TW").as_deref(), Some("zh-TW"));
        assert_eq!(normalize("zh-CN").as_deref(), Some("zh"));
        assert_eq!(normalize(""), None);
        assert_eq!(normalize("english"), None);
        assert_eq!(normalize("1x"), None);
    }

    #[test]
    fn codes_map_both_ways() {
        for code in known_codes() {
            let lang = to_whatlang(code).unwrap();
            assert_eq!(from_whatlang(lang), Some(code));
        }
    }
}
