//! The language check on a first turn, through the whole pre-message path: real function-URL
//! events through the real handler (protector, detector, decision table), the fake Translate
//! endpoint on loopback counting the calls. The examples are issue 18's.

use std::time::Duration;

use serde_json::{Value, json};
use webhook_tests::entry_point::Handler;
use webhook_tests::{FakeTranslate, FunctionUrlEvent, TranslateCall, config, status_and_json};

const DEADLINE: Duration = Duration::from_secs(3);
const ENABLED: &str = "en,es,fr,de,pt,it,nl,ja,zh,ko,ar,ru,hi";

fn first_turn(text: &str) -> String {
    json!({
        "event": {"name": "message_received"},
        "options": {},
        "payload": {
            "input": {"message_type": "text", "text": text},
            "context": {"skills": {"actions skill": {"user_defined": {}, "skill_variables": {}}}},
            "user_id": "first-turn"
        }
    })
    .to_string()
}

/// One first turn: the text the assistant receives, and the Translate calls it cost.
async fn turn(supported: &str, text: &str) -> (String, Vec<TranslateCall>) {
    let translate = FakeTranslate::start().await;
    let handler = config(&[("SUPPORTED_LANGUAGES", supported)]).premessage(translate.translator(DEADLINE));
    let (status, reply) =
        status_and_json(handler.handle(FunctionUrlEvent::from_watson(&first_turn(text)).request()).await);
    assert_eq!(status, 200, "{reply}");
    assert!(translate.rejected().is_empty(), "{:?}", translate.rejected());
    let received = reply.pointer("/payload/input/text").and_then(Value::as_str).unwrap_or_default().to_owned();
    (received, translate.calls())
}

#[tokio::test]
async fn an_id_inside_chinese_or_japanese_is_kept_and_the_words_around_it_translated() {
    for (text, source, ids) in [
        ("我的订单12345在哪里？", "zh", &["12345"][..]),
        ("请问12月3日能送到吗", "zh", &["12", "3"][..]),
        ("注文48213をキャンセルしたい", "ja", &["48213"][..]),
    ] {
        let (received, calls) = turn(ENABLED, text).await;
        assert_eq!(calls.len(), 1, "{text}: one call");
        assert_eq!((calls[0].source.as_str(), calls[0].target.as_str()), (source, "en"), "{text}");
        // The ideographs go as words; each id is a per-user value: it goes as its own numbered
        // placeholder, marked do-not-translate, alone, and never reaches Translate itself.
        for (index, id) in ids.iter().enumerate() {
            let span = format!("<span translate=\"no\" data-p=\"{index}\">{{{}}}</span>", index + 1);
            assert!(calls[0].text.contains(&span), "{text}: {}", calls[0].text);
            assert!(id.len() < 2 || !calls[0].text.contains(id), "{text}: {id} sent: {}", calls[0].text);
        }
        assert!(!calls[0].text.contains(&format!("{}</span>", text.chars().last().unwrap())), "{}", calls[0].text);
        // The translation reaches the assistant with every id as typed.
        assert_ne!(received, text);
        for id in ids {
            assert!(received.contains(id), "{text}: {received}");
        }
    }
}

#[tokio::test]
async fn a_script_only_one_enabled_language_writes_settles_the_language_of_one_word() {
    let supported = "en,es,fr,de,ru,el,he,th,hy,ka,hi,ko,ja";
    for (text, source) in [
        ("почти", "ru"),
        ("ευχαριστώ", "el"),
        ("תודה", "he"),
        ("ขอบคุณ", "th"),
        ("շնորհակալություն", "hy"),
        ("მადლობა", "ka"),
        ("धन्यवाद", "hi"),
        ("감사", "ko"),
        ("はい", "ja"),
        // Han, with Chinese off, is Japanese.
        ("注文", "ja"),
    ] {
        let (_, calls) = turn(supported, text).await;
        assert_eq!(calls.len(), 1, "{text}");
        assert_eq!(calls[0].source, source, "{text}");
    }
    // Russian and Ukrainian both write Cyrillic: the script alone does not name "почти"'s language.
    let (_, calls) = turn("en,ru,uk", "почти").await;
    assert_eq!(calls.len(), 1);
}

#[tokio::test]
async fn short_english_stays_local_and_short_foreign_is_translated() {
    for text in [
        "water parks",
        "information technology",
        "Identifying birds can be problematic.",
        "troubleshooting",
        "unsubscribe",
    ] {
        let (received, calls) = turn(ENABLED, text).await;
        assert!(calls.is_empty(), "{text}: {calls:?}");
        assert_eq!(received, text);
    }
    for (text, source) in [("Rechnung", "de"), ("llevan", "es"), ("mariage", "fr"), ("wachten", "nl")] {
        let (received, calls) = turn(ENABLED, text).await;
        assert_eq!(calls.len(), 1, "{text}");
        assert_eq!(calls[0].source, source, "{text}");
        assert_ne!(received, text);
    }
}
