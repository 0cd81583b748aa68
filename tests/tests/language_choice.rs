//! The user chooses the language: explicit choices set and lock it through premessage's skip
//! reply, the lock keeps it, ALLOWED_LANGUAGES refuses others with the configured answer, and a
//! phone call gets IBM's speech configuration responses once per change. Everything goes through
//! the real entry points (function-URL events, lambda_http, the real Translate client against the
//! fake endpoint); skip replies are parsed with the shared payload types.

use std::time::Duration;

use postmessage::PostMessage;
use premessage::PreMessage;
use serde_json::{Value, json};
use shared::language::choice::{confirmation, explicit_choice};
use shared::payload::{MessageResponse, SKIP_ASSISTANT_HEADER};
use shared::translate::AmazonTranslate;
use webhook_tests::entry_point::Handler;
use webhook_tests::{Behaviour, FakeTranslate, FunctionUrlEvent, config, fixture_json};

const DEADLINE: Duration = Duration::from_secs(3);

/// Messages that only name or ask for a language, and the language each chooses.
const CHOICES: &[(&str, &str)] = &[
    // English
    ("English", "en"),
    ("english please", "en"),
    ("In English please", "en"),
    ("in english", "en"),
    ("Can we speak English?", "en"),
    ("English, please!", "en"),
    ("switch to English", "en"),
    ("Do you speak English?", "en"),
    ("ENGLISH", "en"),
    ("english only", "en"),
    // English, asked for in the user's own language
    ("en inglés por favor", "en"),
    ("auf Englisch bitte", "en"),
    ("en anglais svp", "en"),
    ("in inglese", "en"),
    ("em inglês por favor", "en"),
    ("по-английски", "en"),
    ("英語でお願いします", "en"),
    ("영어로 해주세요", "en"),
    // Spanish
    ("Español", "es"),
    ("español por favor", "es"),
    ("En español", "es"),
    ("en espanol", "es"),
    ("¿Hablas español?", "es"),
    ("Spanish", "es"),
    ("in Spanish please", "es"),
    ("castellano", "es"),
    ("Háblame en español", "es"),
    ("Spanish please", "es"),
    ("Español 🇪🇸", "es"),
    // French
    ("Français", "fr"),
    ("en français", "fr"),
    ("En français s'il vous plaît", "fr"),
    ("francais svp", "fr"),
    ("Parlez-vous français ?", "fr"),
    ("French", "fr"),
    ("in French please", "fr"),
    ("le français", "fr"),
    // German
    ("Deutsch", "de"),
    ("auf Deutsch", "de"),
    ("Auf Deutsch bitte", "de"),
    ("deutsch bitte", "de"),
    ("Sprechen Sie Deutsch?", "de"),
    ("German", "de"),
    ("German please", "de"),
    ("bitte auf deutsch", "de"),
    // Italian
    ("Italiano", "it"),
    ("in italiano", "it"),
    ("In italiano per favore", "it"),
    ("parla italiano", "it"),
    ("Italian please", "it"),
    ("italiano grazie", "it"),
    // Portuguese
    ("Português", "pt"),
    ("em português", "pt"),
    ("Português, por favor", "pt"),
    ("portugues", "pt"),
    ("fala português?", "pt"),
    ("Portuguese", "pt"),
    // Dutch
    ("Nederlands", "nl"),
    ("in het Nederlands", "nl"),
    ("Nederlands alstublieft", "nl"),
    ("spreek nederlands", "nl"),
    ("Dutch", "nl"),
    ("dutch please", "nl"),
    // Swedish
    ("Svenska", "sv"),
    ("på svenska", "sv"),
    ("svenska tack", "sv"),
    ("Kan vi prata svenska?", "sv"),
    ("Swedish", "sv"),
    // Polish
    ("Polski", "pl"),
    ("po polsku", "pl"),
    ("Po polsku proszę", "pl"),
    ("mów po polsku", "pl"),
    ("Polish please", "pl"),
    // Russian
    ("Русский", "ru"),
    ("по-русски", "ru"),
    ("на русском", "ru"),
    ("По-русски, пожалуйста", "ru"),
    ("Russian", "ru"),
    ("на русском языке", "ru"),
    // Turkish
    ("Türkçe", "tr"),
    ("turkce", "tr"),
    ("Türkçe lütfen", "tr"),
    ("Türkçe konuşalım", "tr"),
    ("Turkish", "tr"),
    // Arabic
    ("العربية", "ar"),
    ("عربي", "ar"),
    ("بالعربي من فضلك", "ar"),
    ("Arabic", "ar"),
    ("in Arabic please", "ar"),
    // Hindi
    ("हिन्दी", "hi"),
    ("हिंदी", "hi"),
    ("हिंदी में बात करें", "hi"),
    ("Hindi", "hi"),
    ("in Hindi", "hi"),
    // Japanese
    ("日本語", "ja"),
    ("日本語で", "ja"),
    ("日本語でお願いします", "ja"),
    ("Japanese", "ja"),
    ("japanese please", "ja"),
    // Chinese
    ("中文", "zh"),
    ("请说中文", "zh"),
    ("用中文", "zh"),
    ("Chinese", "zh"),
    ("Mandarin please", "zh"),
    ("普通话", "zh"),
    // Korean
    ("한국어", "ko"),
    ("한국어로", "ko"),
    ("한국어로 해주세요", "ko"),
    ("Korean", "ko"),
    ("korean please", "ko"),
];

/// Ordinary short messages, many with a language's name in them, that choose nothing.
const NOT_CHOICES: &[&str] = &[
    // English, with language names in context
    "I speak English but my order is late",
    "french fries",
    "Is the manual in Spanish?",
    "My French press broke",
    "german shepherd food",
    "Do you ship to Spain?",
    "polish remover",
    "Turkish delight gift box",
    "I need an English invoice",
    "Can I get the receipt in Spanish and English?",
    "english muffin recipe",
    "the Japanese version of the app crashes",
    "Chinese New Year opening hours",
    "Korean BBQ delivery",
    "My Italian order never arrived",
    "Dutch oven price",
    "Swedish meatballs",
    "Russian dressing",
    "Arabic keyboard not working",
    "Hindi movies subscription",
    "English is not my first language",
    "I'm learning Spanish",
    "do you sell Portuguese wine?",
    "The Spanish site is down",
    "translate good morning to French",
    "English breakfast tea",
    "Spanish omelette",
    "french toast",
    "what languages do you speak?",
    "language settings",
    // English, ordinary
    "Where is my order?",
    "hi",
    "ok",
    "thanks",
    "yes",
    "no",
    "help",
    "please",
    "cancel my subscription",
    "track order 48213",
    "jane.doe@example.com",
    "48213",
    "I want to speak to an agent",
    "speak to a human",
    "can you help me",
    "order status",
    "refund please",
    "the package arrived damaged",
    "how do I reset my password?",
    "thank you so much",
    // Spanish
    "¿Dónde está mi pedido?",
    "hola",
    "sí",
    "gracias",
    "quiero cancelar mi pedido",
    "mi pedido llegó roto",
    "hablo español pero mi pedido no llegó",
    "¿tienen la tienda en español?",
    "el español es difícil",
    "por favor",
    // French
    "Bonjour",
    "merci beaucoup",
    "où est ma commande ?",
    "je parle français mais ma commande est en retard",
    "le pain français est bon",
    // German
    "Hallo",
    "danke",
    "Wo ist meine Bestellung?",
    "Ich spreche Deutsch, aber meine Bestellung ist zu spät",
    "bitte",
    "Deutsche Bahn Verspätung",
    // Italian
    "ciao",
    "grazie mille",
    "dov'è il mio ordine?",
    "parlo italiano ma il pacco non è arrivato",
    // Portuguese
    "obrigado",
    "onde está o meu pedido?",
    "falo português mas preciso de ajuda",
    // Dutch
    "dank je wel",
    "waar is mijn bestelling?",
    // Swedish
    "tack så mycket",
    "var är min beställning?",
    // Polish
    "dziękuję",
    "gdzie jest moje zamówienie?",
    // Russian
    "спасибо",
    "где мой заказ?",
    "я говорю по-русски, но заказ не пришёл",
    // Turkish
    "teşekkürler",
    "siparişim nerede?",
    // Arabic
    "شكرا",
    "أين طلبي؟",
    // Hindi
    "धन्यवाद",
    "मेरा ऑर्डर कहाँ है?",
    // Japanese
    "ありがとう",
    "注文はどこですか？",
    "日本語の説明書はありますか？",
    // Chinese
    "谢谢",
    "我的订单在哪里？",
    "中文菜单在哪里",
    // Korean
    "감사합니다",
    "제 주문은 어디에 있나요?",
    "한국어 설명서 있어요?",
];

/// A pre-message request of an English web chat session on an actions skill: the constructed
/// Spanish request with the text, browser language and stored variables replaced.
fn english_session_request(text: &str) -> Value {
    let mut request = fixture_json("constructed-pre-message-request-actions-spanish.json");
    request["payload"]["input"]["text"] = json!(text);
    request["payload"]["context"]["skills"]["actions skill"]["user_defined"] = json!({});
    request["payload"]["context"]["integrations"]["chat"]["browser_info"]["language"] = json!("en-US");
    request
}

/// The phone integration's context, from IBM's "Phone context variables" page.
fn phone_integrations() -> Value {
    json!({"voice_telephony": {"sip_call_id": "QjryZsuAS4", "assistant_phone_number": "18882346789"}})
}

/// A pre-message answer: whether it is a skip reply, and its JSON body.
struct PreAnswer {
    skip: bool,
    body: Value,
}

impl PreAnswer {
    /// The skip reply, parsed with the shared types as the assistant would validate it.
    fn message_response(&self) -> MessageResponse {
        assert!(self.skip, "expected a skip reply: {}", self.body);
        assert!(self.body.get("payload").is_none(), "a skip reply has no payload wrapper");
        let response: MessageResponse = serde_json::from_value(self.body.clone()).expect("a valid message response");
        assert_eq!(serde_json::to_value(&response).unwrap(), self.body, "lossless");
        response
    }

    fn context(&self) -> &Value {
        if self.skip { &self.body["context"] } else { &self.body["payload"]["context"] }
    }

    fn actions(&self) -> &Value {
        &self.context()["skills"]["actions skill"]
    }

    fn texts(&self) -> Vec<String> {
        self.body["output"]["generic"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|item| item["response_type"] == "text")
            .filter_map(|item| item["text"].as_str().map(str::to_owned))
            .collect()
    }
}

async fn pre_turn(pre: &PreMessage<AmazonTranslate>, request: &Value) -> PreAnswer {
    let response = pre.handle(FunctionUrlEvent::from_watson(&request.to_string()).request()).await;
    assert_eq!(response.status().as_u16(), 200);
    let skip = response.headers().get(SKIP_ASSISTANT_HEADER).is_some();
    let body = serde_json::from_slice(response.body().as_ref()).expect("JSON");
    PreAnswer { skip, body }
}

fn post_request(context: &Value, generic: Value) -> Value {
    json!({
        "event": {"name": "message_processed"},
        "options": {},
        "payload": {"output": {"generic": generic}, "context": context, "user_id": "anonymous_IBMuid-1234"}
    })
}

async fn post_turn(post: &PostMessage<AmazonTranslate>, request: &Value) -> Value {
    let response = post.handle(FunctionUrlEvent::from_watson(&request.to_string()).request()).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers().get(SKIP_ASSISTANT_HEADER).is_none());
    let body: Value = serde_json::from_slice(response.body().as_ref()).expect("JSON");
    body["payload"].clone()
}

fn response_types(generic: &Value) -> Vec<&str> {
    generic.as_array().into_iter().flatten().filter_map(|item| item["response_type"].as_str()).collect()
}

#[tokio::test]
async fn every_choice_phrase_sets_and_locks_the_language_through_premessage() {
    assert!(CHOICES.len() >= 100, "{} choice phrases", CHOICES.len());
    let languages: std::collections::BTreeSet<&str> = CHOICES.iter().map(|(_, code)| *code).collect();
    assert_eq!(languages.len(), 16, "every enabled language: {languages:?}");
    let translate = FakeTranslate::start().await;
    let pre = config(&[]).premessage(translate.translator(DEADLINE));
    let mut wrong = Vec::new();
    for (text, code) in CHOICES {
        if explicit_choice(text) != Some(*code) {
            wrong.push(format!("{text:?}: {:?} instead of {code}", explicit_choice(text)));
            continue;
        }
        let answer = pre_turn(&pre, &english_session_request(text)).await;
        let response = answer.message_response();
        let actions = answer.actions();
        let set_and_locked = actions["user_defined"]["language"] == *code
            && actions["user_defined"]["language_locked"] == true
            && actions["skill_variables"]["language"] == *code
            && actions["skill_variables"]["language_locked"] == true;
        if !set_and_locked || answer.texts() != [confirmation(code).unwrap()] {
            wrong.push(format!("{text:?}: {}", answer.body));
        }
        // The rest of the context comes back as it was sent.
        assert_eq!(answer.context()["global"]["session_id"], "b263cb6f-0d62-4b01-a28e-1743ff54d28d");
        assert_eq!(actions["system"]["state"], "<opaque base64>");
        assert_eq!(response.extra.get("user_id"), Some(&json!("anonymous_IBMuid-1234")));
    }
    assert!(wrong.is_empty(), "{} of {} choices wrong:\n{}", wrong.len(), CHOICES.len(), wrong.join("\n"));
    assert!(translate.calls().is_empty(), "a choice costs no Translate call");
    println!("{} choice phrases over {} languages set and lock the language", CHOICES.len(), languages.len());
}

#[tokio::test]
async fn no_ordinary_message_is_a_choice() {
    assert!(NOT_CHOICES.len() >= 100, "{} ordinary messages", NOT_CHOICES.len());
    let translate = FakeTranslate::start().await;
    let pre = config(&[]).premessage(translate.translator(DEADLINE));
    let mut wrong = Vec::new();
    for text in NOT_CHOICES {
        if let Some(code) = explicit_choice(text) {
            wrong.push(format!("{text:?} chose {code}"));
            continue;
        }
        let answer = pre_turn(&pre, &english_session_request(text)).await;
        if answer.skip || !answer.actions()["user_defined"]["language_locked"].is_null() {
            wrong.push(format!("{text:?}: {}", answer.body));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} ordinary messages wrong:\n{}",
        wrong.len(),
        NOT_CHOICES.len(),
        wrong.join("\n")
    );
    println!("{} ordinary messages choose nothing", NOT_CHOICES.len());
}

#[tokio::test]
async fn choose_spanish_write_english_and_the_replies_stay_spanish() {
    let translate = FakeTranslate::start().await;
    let pre = config(&[]).premessage(translate.translator(DEADLINE));
    let post = config(&[]).postmessage(translate.translator(DEADLINE));

    let chosen = pre_turn(&pre, &english_session_request("Español")).await;
    chosen.message_response();
    assert_eq!(chosen.texts(), ["De acuerdo, continuaré en español."]);
    let mut context = chosen.context().clone();

    for sentence in ["Where is my order? It should have arrived last week.", "I would like to cancel my subscription"] {
        let mut request = english_session_request(sentence);
        request["payload"]["context"] = context.clone();
        let answer = pre_turn(&pre, &request).await;
        assert!(!answer.skip);
        assert_eq!(answer.body["payload"]["input"]["text"], sentence, "English goes to the assistant as it is");
        assert_eq!(answer.actions()["user_defined"]["language"], "es", "detection does not switch a locked session");
        assert_eq!(answer.actions()["user_defined"]["language_locked"], true);

        let assistant_reply = format!("Let me check that for you ({sentence}).");
        let reply = post_turn(
            &post,
            &post_request(answer.context(), json!([{"response_type": "text", "text": assistant_reply}])),
        )
        .await;
        assert_eq!(reply["output"]["generic"][0]["text"], format!("[en->es] {assistant_reply}"));
        context = reply["context"].clone();
    }
    let calls = translate.calls();
    assert!(calls.iter().all(|call| (call.source.as_str(), call.target.as_str()) == ("en", "es")), "{calls:?}");
    assert_eq!(calls.len(), 2, "only the replies are translated");

    // The same sentence in an unlocked Spanish session switches it to English, as before.
    let mut unlocked = english_session_request("Where is my order? It should have arrived last week.");
    unlocked["payload"]["context"]["skills"]["actions skill"]["user_defined"] = json!({"language": "es"});
    let answer = pre_turn(&pre, &unlocked).await;
    assert_eq!(answer.actions()["user_defined"]["language"], "en");
}

#[tokio::test]
async fn choosing_the_assistants_language_stops_translation() {
    let translate = FakeTranslate::start().await;
    let pre = config(&[]).premessage(translate.translator(DEADLINE));
    let post = config(&[]).postmessage(translate.translator(DEADLINE));
    // A Spanish session (the constructed request stores `language: es`) asks for English.
    let mut request = fixture_json("constructed-pre-message-request-actions-spanish.json");
    request["payload"]["input"]["text"] = json!("en inglés por favor");
    let chosen = pre_turn(&pre, &request).await;
    chosen.message_response();
    assert_eq!(chosen.texts(), ["OK, I'll continue in English."]);
    assert_eq!(chosen.actions()["user_defined"]["language"], "en");
    assert!(chosen.actions()["user_defined"].get("original_input").is_none(), "the earlier turn's original is gone");

    // Spanish now goes to the assistant untranslated, and replies go out in English.
    let mut next = request.clone();
    next["payload"]["input"]["text"] = json!("¿Dónde está mi pedido? Lo pedí hace una semana.");
    next["payload"]["context"] = chosen.context().clone();
    let answer = pre_turn(&pre, &next).await;
    assert!(!answer.skip);
    assert_eq!(answer.body["payload"]["input"]["text"], next["payload"]["input"]["text"]);
    let reply = post_turn(
        &post,
        &post_request(answer.context(), json!([{"response_type": "text", "text": "Your order shipped."}])),
    )
    .await;
    assert_eq!(reply["output"]["generic"][0]["text"], "Your order shipped.");
    assert!(translate.calls().is_empty(), "{:?}", translate.calls());

    // Another explicit choice unlocks it for that language.
    let mut again = next.clone();
    again["payload"]["input"]["text"] = json!("Español");
    again["payload"]["context"] = answer.context().clone();
    let answer = pre_turn(&pre, &again).await;
    assert_eq!(answer.actions()["skill_variables"]["language"], "es");
}

#[tokio::test]
async fn an_action_can_clear_the_lock_through_its_session_variable() {
    let translate = FakeTranslate::start().await;
    let pre = config(&[]).premessage(translate.translator(DEADLINE));
    let mut request = english_session_request("Where is my order? It should have arrived last week.");
    request["payload"]["context"]["skills"]["actions skill"]["user_defined"] =
        json!({"language": "es", "language_locked": true});
    request["payload"]["context"]["skills"]["actions skill"]["skill_variables"] =
        json!({"language": "es", "language_locked": false});
    let answer = pre_turn(&pre, &request).await;
    assert_eq!(answer.actions()["user_defined"]["language"], "en", "unlocked: the English sentence switches it");
    request["payload"]["context"]["skills"]["actions skill"]["skill_variables"]["language_locked"] = json!(true);
    let answer = pre_turn(&pre, &request).await;
    assert_eq!(answer.actions()["user_defined"]["language"], "es", "locked by the action");
}

#[tokio::test]
async fn a_language_outside_allowed_languages_gets_the_configured_answer_and_no_translation() {
    let translate = FakeTranslate::start().await;
    let message = "Sorry, we only chat in these languages:";
    translate.phrase(message, "de", "Leider sprechen wir nur diese Sprachen:");
    let settings = [("ALLOWED_LANGUAGES", "en,es"), ("LANGUAGE_NOT_OFFERED_MESSAGE", message)];
    let pre = config(&settings).premessage(translate.translator(DEADLINE));

    let german = "Wo ist meine Bestellung? Ich warte schon seit einer Woche.";
    let answer = pre_turn(&pre, &english_session_request(german)).await;
    answer.message_response();
    assert_eq!(answer.texts(), ["Leider sprechen wir nur diese Sprachen: English, Español"]);
    assert!(answer.actions()["user_defined"].get("language").is_none(), "the session language is not set");
    let calls = translate.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!((calls[0].text.as_str(), calls[0].source.as_str(), calls[0].target.as_str()), (message, "en", "de"));

    // Choosing a language that is not offered gets the same answer, in that language.
    let answer = pre_turn(&pre, &english_session_request("auf Deutsch bitte")).await;
    assert_eq!(answer.texts(), ["Leider sprechen wir nur diese Sprachen: English, Español"]);

    // When Translate cannot produce the language, the answer is in the assistant's language.
    translate.set_behaviour(Behaviour::RefusePair);
    let answer = pre_turn(&pre, &english_session_request("Jag vill avbryta min beställning, tack så mycket.")).await;
    assert_eq!(answer.texts(), [format!("{message} English, Español")]);

    // A language only Amazon Translate recognises is answered the same way.
    translate.set_behaviour(Behaviour::Translate { delay: Duration::ZERO });
    let swahili = "Agizo langu liko wapi jamani rafiki";
    translate.detects(swahili, "sw");
    let answer = pre_turn(&pre, &english_session_request(swahili)).await;
    assert!(answer.skip, "{}", answer.body);
    assert_eq!(answer.texts(), [format!("[en->sw] {message} English, Español")]);

    // Allowed languages are translated as before.
    let answer = pre_turn(&pre, &english_session_request("¿Dónde está mi pedido?")).await;
    assert!(!answer.skip);
    assert_eq!(answer.actions()["user_defined"]["language"], "es");
}

#[tokio::test]
async fn a_phone_call_switches_its_speech_models_once_and_a_web_chat_never() {
    let translate = FakeTranslate::start().await;
    translate.phrase(
        "¿Dónde está mi pedido? Lo pedí hace una semana.",
        "en",
        "Where is my order? I ordered it a week ago.",
    );
    let pre = config(&[]).premessage(translate.translator(DEADLINE));
    let post = config(&[]).postmessage(translate.translator(DEADLINE));
    let reply = json!([{"response_type": "text", "text": "Your order shipped yesterday."}]);

    for phone in [true, false] {
        // The caller speaks Spanish: detection switches the session.
        let mut request = english_session_request("¿Dónde está mi pedido? Lo pedí hace una semana.");
        if phone {
            request["payload"]["context"]["integrations"] = phone_integrations();
        }
        let answer = pre_turn(&pre, &request).await;
        assert_eq!(answer.actions()["user_defined"]["language"], "es");
        let mut context = answer.context().clone();
        let mut commands = Vec::new();
        for _turn in 0..3 {
            let out = post_turn(&post, &post_request(&context, reply.clone())).await;
            let types = response_types(&out["output"]["generic"]);
            assert_eq!(types.last(), Some(&"text"), "the reply is still there, last");
            commands.extend(
                out["output"]["generic"].as_array().unwrap().iter().filter(|i| i["response_type"] != "text").cloned(),
            );
            context = out["context"].clone();
        }
        if phone {
            assert_eq!(
                commands,
                [
                    json!({"response_type": "speech_to_text", "command_info": {"type": "configure", "parameters": {
                        "update_strategy": "merge",
                        "narrowband_recognize": {"model": "es-ES_Telephony"},
                        "broadband_recognize": {"model": "es-ES_Telephony"}}}}),
                    json!({"response_type": "text_to_speech", "command_info": {"type": "configure", "parameters": {
                        "update_strategy": "merge", "synthesize": {"voice": "es-ES_EnriqueV3Voice"}}}}),
                ],
                "the two configuration responses, once"
            );
            assert_eq!(context["skills"]["actions skill"]["user_defined"]["speech_language"], "es");
        } else {
            assert!(commands.is_empty(), "{commands:?}");
            assert!(context["skills"]["actions skill"]["user_defined"].get("speech_language").is_none());
        }
    }
}

#[tokio::test]
async fn the_phone_switch_goes_out_once_per_change_when_postmessage_s_context_is_thrown_away() {
    let translate = FakeTranslate::start().await;
    let spanish = "¿Dónde está mi pedido? Lo pedí hace una semana.";
    translate.phrase(spanish, "en", "Where is my order? I ordered it a week ago.");
    let english = "Sorry, could you please tell me in English where my order is right now?";
    let pre = config(&[]).premessage(translate.translator(DEADLINE));
    let post = config(&[]).postmessage(translate.translator(DEADLINE));
    let reply = json!([{"response_type": "text", "text": "Your order shipped yesterday."}]);
    let mut request = english_session_request(spanish);
    request["payload"]["context"]["integrations"] = phone_integrations();
    let mut sent = Vec::new();
    for text in [spanish, spanish, english, english, spanish, spanish] {
        request["payload"]["input"]["text"] = json!(text);
        let answer = pre_turn(&pre, &request).await;
        assert!(!answer.skip, "{}", answer.body);
        let context = answer.context().clone();
        let out = post_turn(&post, &post_request(&context, reply.clone())).await;
        let generic = &out["output"]["generic"];
        let voice = generic
            .as_array()
            .unwrap()
            .iter()
            .find_map(|item| item["command_info"]["parameters"]["synthesize"]["voice"].as_str())
            .unwrap_or("-");
        sent.push(format!("{} {voice}", response_types(generic).len() - 1));
        // The assistant keeps premessage's context changes and throws postmessage's away.
        request["payload"]["context"] = context;
    }
    let switch = |voice: &str| format!("2 {voice}");
    assert_eq!(
        sent,
        [
            switch("es-ES_EnriqueV3Voice"),
            "0 -".into(),
            switch("en-US_AllisonV3Voice"),
            "0 -".into(),
            switch("es-ES_EnriqueV3Voice"),
            "0 -".into()
        ],
        "once per change"
    );
}

#[tokio::test]
async fn a_phone_choice_switches_the_speech_in_the_skip_reply_and_not_again() {
    let translate = FakeTranslate::start().await;
    let pre = config(&[]).premessage(translate.translator(DEADLINE));
    let post = config(&[("VOICE_MODELS", "fr=fr-CA_Telephony/fr-CA_LouiseV3Voice")])
        .postmessage(translate.translator(DEADLINE));
    let mut request = english_session_request("en français s'il vous plaît");
    request["payload"]["context"]["integrations"] = phone_integrations();
    let chosen = pre_turn(&pre, &request).await;
    chosen.message_response();
    // The default map has French: the speech switches before the confirmation is spoken.
    assert_eq!(response_types(&chosen.body["output"]["generic"]), ["speech_to_text", "text_to_speech", "text"]);
    assert_eq!(
        chosen.body["output"]["generic"][1]["command_info"]["parameters"]["synthesize"]["voice"],
        "fr-FR_ReneeV3Voice"
    );
    assert_eq!(chosen.actions()["user_defined"]["speech_language"], "fr");
    let out =
        post_turn(&post, &post_request(chosen.context(), json!([{"response_type": "text", "text": "Hello"}]))).await;
    assert_eq!(response_types(&out["output"]["generic"]), ["text"], "already switched");
    // Back to English: premessage (default map) switches back in its skip reply; postmessage then
    // has nothing left to do.
    let mut back = request.clone();
    back["payload"]["input"]["text"] = json!("English please");
    back["payload"]["context"] = out["context"].clone();
    let answer = pre_turn(&pre, &back).await;
    assert_eq!(response_types(&answer.body["output"]["generic"]), ["speech_to_text", "text_to_speech", "text"]);
    let out =
        post_turn(&post, &post_request(answer.context(), json!([{"response_type": "text", "text": "Hello"}]))).await;
    assert_eq!(response_types(&out["output"]["generic"]), ["text"]);
}

#[tokio::test]
async fn skip_replies_have_the_shape_of_ibms_sample() {
    let sample: MessageResponse =
        serde_json::from_value(fixture_json("ibm-docs-pre-message-response-skip.json")).unwrap();
    let translate = FakeTranslate::start().await;
    let pre = config(&[]).premessage(translate.translator(DEADLINE));
    let request = english_session_request("Español");
    let answer = pre_turn(&pre, &request).await;
    let ours = answer.message_response();
    let shape = |response: &MessageResponse| {
        let generic = &serde_json::to_value(response).unwrap()["output"]["generic"];
        (response_types(generic).into_iter().map(str::to_owned).collect::<Vec<_>>(), generic[0]["text"].is_string())
    };
    assert_eq!(shape(&ours), shape(&sample));
    println!("REQUEST {}", serde_json::to_string_pretty(&request).unwrap());
    println!("ANSWER (header {SKIP_ASSISTANT_HEADER}) {}", serde_json::to_string_pretty(&answer.body).unwrap());
}
