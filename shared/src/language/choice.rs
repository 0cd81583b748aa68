//! Explicit language choices: a message that only names a language or asks for one ("Español",
//! "español por favor", "in English please", "auf Deutsch", "日本語でお願いします").
//!
//! Pure and table-driven. A message is folded (lower case, accents, punctuation, emoji and spaces
//! dropped), then read as `[polite prefix] language form [polite suffix]`, where the whole
//! message must be used up: "I speak English but my order is late" is not a choice, since
//! "but my order is late" is neither a form nor a suffix. Prefixes and suffixes of every
//! language are accepted with every form, so "switch to español" and "Deutsch bitte" both work.
//!
//! The forms are the native and English names of each language, the usual "in <language>" phrase
//! in the language itself, and the name of English in each language (users mostly switch back to
//! English with a phrase in their own language, "en inglés por favor").

use std::collections::HashMap;
use std::sync::OnceLock;

/// One language the choice table knows.
struct Entry {
    code: &'static str,
    /// How the language names itself, for lists of offered languages.
    native: &'static str,
    /// Names and "in <language>" phrases, in the language itself and in English.
    forms: &'static [&'static str],
    /// Polite words before the language, in this language ("háblame", "please", "switch to").
    prefixes: &'static [&'static str],
    /// Polite words after it ("por favor", "bitte", "お願いします").
    suffixes: &'static [&'static str],
    /// The confirmation sent when a user chooses this language.
    confirmation: &'static str,
    /// How this language names English, bare and as "in English".
    english: &'static [&'static str],
}

const TABLE: &[Entry] = &[
    Entry {
        code: "en",
        native: "English",
        forms: &["english", "in english", "the english language"],
        prefixes: &[
            "please",
            "in",
            "speak",
            "speak in",
            "please speak",
            "please speak in",
            "talk in",
            "let's speak",
            "lets speak",
            "let's talk in",
            "can you speak",
            "can we speak",
            "can we talk in",
            "could you speak",
            "can you reply in",
            "do you speak",
            "i speak",
            "i prefer",
            "i want",
            "i'd like",
            "switch to",
            "change to",
            "switch language to",
            "change language to",
            "language",
            "reply in",
            "answer in",
            "respond in",
            "continue in",
        ],
        suffixes: &["please", "pls", "plz", "thanks", "thank you", "only", "language", "is fine"],
        confirmation: "OK, I'll continue in English.",
        english: &[],
    },
    Entry {
        code: "es",
        native: "Español",
        forms: &["español", "castellano", "en español", "en castellano", "spanish", "in spanish"],
        prefixes: &[
            "háblame",
            "háblame en",
            "habla",
            "hablemos",
            "hablas",
            "habla usted",
            "puedes hablar",
            "puedes hablarme en",
            "podemos hablar",
            "podemos hablar en",
            "quiero",
            "quiero hablar",
            "quiero hablar en",
            "prefiero",
            "cambiar a",
            "cambia a",
            "cambiemos a",
            "por favor",
            "idioma",
        ],
        suffixes: &["por favor", "porfa", "porfavor", "gracias"],
        confirmation: "De acuerdo, continuaré en español.",
        english: &["inglés", "en inglés"],
    },
    Entry {
        code: "fr",
        native: "Français",
        forms: &["français", "le français", "en français", "french", "in french"],
        prefixes: &[
            "parlez",
            "parlez-vous",
            "vous parlez",
            "tu parles",
            "parle",
            "parlons",
            "on peut parler",
            "pouvez-vous parler",
            "je préfère",
            "je voudrais",
            "passer en",
            "s'il vous plaît",
            "svp",
            "langue",
        ],
        suffixes: &["s'il vous plaît", "s'il te plaît", "svp", "stp", "merci"],
        confirmation: "D'accord, je continue en français.",
        english: &["anglais", "en anglais"],
    },
    Entry {
        code: "de",
        native: "Deutsch",
        forms: &["deutsch", "auf deutsch", "deutsche sprache", "german", "in german"],
        prefixes: &[
            "sprechen sie",
            "sprichst du",
            "sprich",
            "bitte",
            "können wir",
            "können wir auf",
            "kannst du",
            "können sie",
            "lieber",
            "ich möchte",
            "wechseln zu",
            "sprache",
        ],
        suffixes: &["bitte", "sprechen", "reden", "danke", "bitte sehr"],
        confirmation: "In Ordnung, ich schreibe ab jetzt auf Deutsch.",
        english: &["englisch", "auf englisch"],
    },
    Entry {
        code: "it",
        native: "Italiano",
        forms: &["italiano", "in italiano", "italian", "in italian"],
        prefixes: &[
            "parla",
            "parli",
            "parliamo",
            "possiamo parlare",
            "puoi parlare",
            "vorrei",
            "preferisco",
            "per favore",
            "lingua",
        ],
        suffixes: &["per favore", "perfavore", "per piacere", "grazie"],
        confirmation: "Va bene, continuo in italiano.",
        english: &["inglese", "in inglese"],
    },
    Entry {
        code: "pt",
        native: "Português",
        forms: &["português", "em português", "portuguese", "in portuguese"],
        prefixes: &[
            "fala",
            "falar",
            "falamos",
            "você fala",
            "pode falar",
            "podemos falar",
            "quero",
            "prefiro",
            "por favor",
            "idioma",
        ],
        suffixes: &["por favor", "obrigado", "obrigada", "pfv"],
        confirmation: "Certo, vou continuar em português.",
        english: &["inglês", "em inglês"],
    },
    Entry {
        code: "nl",
        native: "Nederlands",
        forms: &["nederlands", "in het nederlands", "vlaams", "dutch", "in dutch", "flemish"],
        prefixes: &["spreek", "spreekt u", "spreek je", "praat", "kunnen we", "kunt u", "graag", "liever", "taal"],
        suffixes: &["alstublieft", "alsjeblieft", "aub", "graag", "praten", "spreken", "bedankt"],
        confirmation: "Prima, ik ga verder in het Nederlands.",
        english: &["engels", "in het engels"],
    },
    Entry {
        code: "sv",
        native: "Svenska",
        forms: &["svenska", "på svenska", "swedish", "in swedish"],
        prefixes: &["kan vi prata", "kan du prata", "talar du", "prata", "snälla", "språk"],
        suffixes: &["tack", "tack så mycket", "snälla"],
        confirmation: "Okej, jag fortsätter på svenska.",
        english: &["engelska", "på engelska"],
    },
    Entry {
        code: "pl",
        native: "Polski",
        forms: &["polski", "po polsku", "język polski", "polish", "in polish"],
        prefixes: &["mów", "mówmy", "czy mówisz", "czy mówicie", "możemy rozmawiać", "proszę", "poproszę", "język"],
        suffixes: &["proszę", "poproszę", "dziękuję"],
        confirmation: "Dobrze, będę kontynuować po polsku.",
        english: &["angielski", "po angielsku"],
    },
    Entry {
        code: "ru",
        native: "Русский",
        forms: &["русский", "по-русски", "на русском", "на русском языке", "русский язык", "russian", "in russian"],
        prefixes: &["говорите", "говори", "давайте", "давайте на", "можно", "можно на", "вы говорите", "пожалуйста"],
        suffixes: &["пожалуйста", "спасибо"],
        confirmation: "Хорошо, продолжу на русском языке.",
        english: &["английский", "по-английски", "на английском"],
    },
    Entry {
        code: "tr",
        native: "Türkçe",
        forms: &["türkçe", "türkçe olarak", "turkish", "in turkish"],
        prefixes: &["lütfen", "dil"],
        suffixes: &[
            "lütfen",
            "konuş",
            "konuşalım",
            "konuşabilir miyiz",
            "konuşur musunuz",
            "biliyor musunuz",
            "olsun",
            "teşekkürler",
        ],
        confirmation: "Tamam, Türkçe devam ediyorum.",
        english: &["ingilizce"],
    },
    Entry {
        code: "ar",
        native: "العربية",
        forms: &["العربية", "عربي", "العربي", "بالعربية", "بالعربي", "باللغة العربية", "arabic", "in arabic"],
        prefixes: &["تكلم", "تحدث", "هل تتكلم", "هل تتحدث", "من فضلك", "أريد"],
        suffixes: &["من فضلك", "لو سمحت", "شكرا"],
        confirmation: "حسنًا، سأتابع باللغة العربية.",
        english: &["الإنجليزية", "بالإنجليزية", "انجليزي", "بالانجليزي"],
    },
    Entry {
        code: "hi",
        native: "हिन्दी",
        forms: &["हिन्दी", "हिंदी", "हिंदी में", "हिन्दी में", "hindi", "in hindi"],
        prefixes: &["कृपया"],
        suffixes: &["बात करें", "बोलिए", "कृपया", "में बात करें", "चाहिए"],
        confirmation: "ठीक है, मैं हिन्दी में जारी रखूँगा।",
        english: &["अंग्रेज़ी", "अंग्रेजी", "अंग्रेज़ी में", "अंग्रेजी में"],
    },
    Entry {
        code: "ja",
        native: "日本語",
        forms: &["日本語", "日本語で", "japanese", "in japanese"],
        prefixes: &[],
        suffixes: &[
            "お願いします",
            "おねがいします",
            "お願い",
            "でお願いします",
            "でおねがいします",
            "で話してください",
            "にしてください",
            "に切り替えてください",
            "話せますか",
            "はなせますか",
            "ください",
        ],
        confirmation: "かしこまりました。これから日本語で対応します。",
        english: &["英語", "英語で"],
    },
    Entry {
        code: "zh",
        native: "中文",
        forms: &[
            "中文",
            "汉语",
            "漢語",
            "普通话",
            "華語",
            "华语",
            "用中文",
            "说中文",
            "講中文",
            "讲中文",
            "chinese",
            "mandarin",
            "in chinese",
        ],
        prefixes: &["请", "請", "请用", "我要", "可以说", "能说", "你会说"],
        suffixes: &["吧", "可以吗", "好吗", "谢谢", "请"],
        confirmation: "好的，我将继续用中文与您交流。",
        english: &["英语", "英文", "用英语", "用英文", "说英语"],
    },
    Entry {
        code: "ko",
        native: "한국어",
        forms: &["한국어", "한국말", "한국어로", "한국말로", "korean", "in korean"],
        prefixes: &[],
        suffixes: &[
            "해주세요",
            "해 주세요",
            "부탁해요",
            "부탁합니다",
            "말해주세요",
            "할 수 있어요",
            "가능해요",
            "주세요",
        ],
        confirmation: "알겠습니다. 이제부터 한국어로 안내해 드리겠습니다.",
        english: &["영어", "영어로"],
    },
];

/// Longer than this (in characters, before folding) and a message is not a choice.
const MAX_CHOICE_CHARS: usize = 80;

struct Index {
    forms: HashMap<String, &'static str>,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut forms = HashMap::new();
        for entry in TABLE {
            for form in entry.forms {
                forms.entry(fold(form)).or_insert(entry.code);
            }
            for form in entry.english {
                forms.entry(fold(form)).or_insert("en");
            }
        }
        let mut prefixes: Vec<String> = TABLE.iter().flat_map(|e| e.prefixes).map(|p| fold(p)).collect();
        let mut suffixes: Vec<String> = TABLE.iter().flat_map(|e| e.suffixes).map(|s| fold(s)).collect();
        for list in [&mut prefixes, &mut suffixes] {
            list.push(String::new());
            list.sort_unstable();
            list.dedup();
        }
        Index { forms, prefixes, suffixes }
    })
}

/// The language a message explicitly chooses, if it only names or asks for one.
pub fn explicit_choice(text: &str) -> Option<&'static str> {
    if text.chars().count() > MAX_CHOICE_CHARS {
        return None;
    }
    let folded = fold(text);
    if folded.is_empty() {
        return None;
    }
    let index = index();
    for suffix in &index.suffixes {
        let Some(rest) = folded.strip_suffix(suffix.as_str()) else { continue };
        for prefix in &index.prefixes {
            if let Some(code) = rest.strip_prefix(prefix.as_str()).and_then(|core| index.forms.get(core)) {
                return Some(code);
            }
        }
    }
    None
}

/// The confirmation for a chosen language, in that language.
pub fn confirmation(code: &str) -> Option<&'static str> {
    entry(code).map(|entry| entry.confirmation)
}

/// How a language names itself ("Español"), for lists of offered languages.
pub fn native_name(code: &str) -> Option<&'static str> {
    entry(code).map(|entry| entry.native)
}

/// The languages a user can choose by name.
pub fn choosable() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|entry| entry.code)
}

fn entry(code: &str) -> Option<&'static Entry> {
    TABLE.iter().find(|entry| entry.code == code || entry.code == super::codes::base(code))
}

/// Lower case, accents and marks removed, punctuation, symbols, emoji and spaces dropped.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let plain = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => 'a',
            'ç' | 'ć' | 'č' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'ı' | 'ī' => 'i',
            'ñ' | 'ń' | 'ň' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' => 'u',
            'ý' | 'ÿ' => 'y',
            'ś' | 'š' | 'ş' => 's',
            'ź' | 'ż' | 'ž' => 'z',
            'ł' => 'l',
            'ğ' => 'g',
            'ř' => 'r',
            'ß' => {
                out.push_str("ss");
                continue;
            }
            // Russian ё is often written е.
            'ё' => 'е',
            // Arabic hamza forms of alif are often written without the hamza.
            'أ' | 'إ' | 'آ' => 'ا',
            // Devanagari nukta: "अंग्रेज़ी" and "अंग्रेजी" are the same word.
            '\u{093C}' => continue,
            c if is_dropped_mark(c) => continue,
            c if c.is_alphanumeric() || is_script_mark(c) => c,
            _ => continue,
        };
        out.push(plain);
    }
    out
}

/// Combining accents, Arabic short vowels and tatweel: written or not, the word is the same.
fn is_dropped_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}')
}

/// Vowel signs and viramas of Indic scripts: part of the word, though not alphanumeric.
fn is_script_mark(c: char) -> bool {
    matches!(c, '\u{0900}'..='\u{0DFF}') && !matches!(c, '\u{0964}' | '\u{0965}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_forgives_case_accents_punctuation_and_spaces() {
        assert_eq!(fold("¡Español, por favor! 🇪🇸"), "espanolporfavor");
        assert_eq!(fold("S'il vous plaît"), "silvousplait");
        assert_eq!(fold("Español"), fold("espan\u{0303}ol"));
        assert_eq!(fold("日本語でお願いします。"), "日本語でお願いします");
        assert_eq!(fold("हिंदी में।"), "हिंदीमें");
        assert_eq!(fold("Straße"), "strasse");
    }

    #[test]
    fn every_form_of_every_language_is_one_language_only() {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for entry in TABLE {
            let forms = entry.forms.iter().map(|f| (f, entry.code)).chain(entry.english.iter().map(|f| (f, "en")));
            for (form, code) in forms {
                if let Some(other) = seen.insert(fold(form), code) {
                    assert_eq!(other, code, "{form} names two languages");
                }
                assert_eq!(explicit_choice(form), Some(code), "{form}");
            }
            assert!(!entry.confirmation.is_empty() && !entry.native.is_empty());
        }
    }

    #[test]
    fn a_sentence_around_a_language_name_is_not_a_choice() {
        for text in ["I speak English but my order is late", "french fries", "Is the manual in Spanish?", ""] {
            assert_eq!(explicit_choice(text), None, "{text}");
        }
        assert_eq!(explicit_choice(&"español ".repeat(20)), None);
    }
}
