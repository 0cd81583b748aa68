//! Translation fidelity: what must survive machine translation does, in every translation the
//! functions make, through the real entry point, the real aws-sdk-translate client and a fake
//! Translate that damages every piece of markup it is not told to keep (see `fake_translate`).
//!
//! The fake translates by prefixing `[src->tgt] ` and damaging plain text the way machine
//! translation is seen to; so a reply comes back as `[en->es] ` + the original, byte for byte,
//! exactly when every protected piece was protected.

use serde_json::{Value, json};
use webhook_tests::entry_point::UrlEvent;
use webhook_tests::hardening::{Function, Subject};
use webhook_tests::{FakeTranslate, fixture_json};

/// The operator's protected terms in every test here.
const TERMS: &str = "Acme Cloud,FAQ,WatsonPay";

/// What the fake translates wherever it is not protected: brand names and a command.
fn with_glossary(translate: &FakeTranslate) {
    for (word, es, en) in [
        ("Acme Cloud", "Nube Acme", "Acme Cloud"),
        ("FAQ", "preguntas", "FAQ"),
        ("WatsonPay", "PagoWatson", "WatsonPay"),
        ("reset password", "restablecer contraseña", "reset password"),
        ("SAVE", "AHORRA", "SAVE"),
    ] {
        translate.glossary(word, "es", es);
        translate.glossary(&es.to_lowercase(), "en", en);
    }
    translate.glossary("Acme", "es", "Acmé").glossary("Acme", "en", "Acmé");
}

/// Rich replies as assistants write them: Markdown, HTML, and both with plain-text hazards.
const REPLIES: &[&str] = &[
    // Markdown
    "See our [FAQ](https://example.com/faq) for details.",
    "**Important:** your order ships today.",
    "Read the [return policy](https://shop.example.com/returns?lang=en&src=bot) before sending anything.",
    "Type `reset password` to start over.",
    "Contact us at support@example.com or call us.",
    "Your order ABC-12345 is on its way.",
    "Visit https://www.example.com/help, then come back.",
    "Our store opens at 20:30 on Fridays.",
    "*Tip:* you can _always_ ask for a human.",
    "Options:\n- Track an order\n- Return an item\n- Talk to an agent",
    "## Shipping\nWe ship to 40 countries.",
    "1. Open the app\n2. Tap **Settings**\n3. Choose *Account*",
    "~~Old price~~ New price for Acme Cloud users.",
    "Pay with WatsonPay in the app.",
    "Welcome to Acme Cloud! Ask me anything about the FAQ.",
    "Line one  \nLine two with a hard break.",
    "> Quoted from the manual: handle with care.",
    "Use code `SAVE-20` at checkout, valid until 2025-12-31.",
    "Reply with **yes** or **no**.",
    "Questions? [Email us](mailto:help@example.com) or see <https://example.com/contact>.",
    "**[Track your order](https://example.com/track)** with Acme Cloud.",
    "Email **support@example.com** for help with order XY-778.",
    "Here's the link: https://example.com/a_(b)_c. Enjoy!",
    "We're open 09:00 to 17:30, Monday to Friday.",
    "![Our logo](https://example.com/logo.png) Welcome back!",
    // HTML
    "<p>Your order is <strong>ready</strong>.</p>",
    "Click <a href=\"https://example.com/track?id=9&amp;x=1\" target=\"_blank\">here</a> to track it.",
    "<ul><li>Fast shipping</li><li>Free returns</li></ul>",
    "Line one<br>Line two<br/>Line three",
    "<em>Note:</em> prices include VAT &amp; duties.",
    "<img src=\"https://example.com/logo.png\" alt=\"logo\"> Welcome back!",
    "Call <a href=\"tel:+18005551234\">our hotline</a> at any time.",
    "<span class=\"badge\">New</span> features are available.",
    "<div><b>Bold</b> and <i>italic</i> words.</div>",
    "Use <code>reset password</code> in the <strong>FAQ</strong> section.",
    "<p>Hello <span translate=\"no\">Acme</span> user</p>",
    // Plain text with what machine translation mangles
    "Fish &amp; chips &lt;3 our customers.",
    "Tom & Jerry's \"quotes\" stay as they are.",
    "Prices: 5 < 10 and 10 > 5, isn't it?",
    "Step 3 of 5: confirm your e-mail address.",
    "Send a photo of the label (it starts with #A1B2) to us.",
    "It's 100% free for 30 days, then $9.99/month.",
    "Check order status: https://example.com/orders/ABC-12345?ref=chat#top",
];

/// What users write, with what entity matching needs byte-identical.
const INPUTS: &[&str] = &[
    "mi pedido ABC-12345 no ha llegado",
    "mi correo es juan@example.com",
    "la página https://example.com/pedido/77 no carga",
    "quiero usar Acme Cloud en mi empresa",
    "la reunión es a las 20:30 del viernes",
    "mi número de cliente es 99887766",
    "no puedo entrar en WatsonPay desde ayer",
    "escribí `reset password` y no funcionó",
    "el código SAVE-20 no funciona",
    "¿dónde está el pedido XY-778?",
    "mi dirección es calle Mayor 5, 28013 Madrid",
    "pagué 49,99 € el 12/05/2025",
    "mi teléfono es +34 612 345 678",
    "el enlace www.example.es/ayuda está roto",
    "¿las FAQ tienen la respuesta?",
    "quiero cambiar mi contraseña de Acme Cloud",
    "mi pedido #4521 llegó roto",
    "escríbeme a ana.garcia+pedidos@example.com por favor",
    "la factura INV-2025-0042 está mal",
    "necesito ayuda con mi cuenta de la app v2.3",
];

fn post_request(generic: Value) -> Value {
    let mut request = fixture_json("ibm-docs-post-message-request-actions.json");
    request["payload"]["output"]["generic"] = generic;
    let skills = request["payload"]["context"]["skills"].as_object_mut().expect("skills");
    for skill in skills.values_mut() {
        skill["user_defined"] = json!({"language": "es"});
    }
    request
}

fn pre_request(text: &str) -> Value {
    json!({
        "event": {"name": "message_received"},
        "options": {},
        "payload": {
            "input": {"message_type": "text", "text": text},
            "context": {"skills": {"actions skill": {"user_defined": {"language": "es"}, "skill_variables": {"language": "es"}}}}
        }
    })
}

async fn postmessage() -> Subject {
    let subject = Subject::start(Function::PostMessage, &[("PROTECTED_TERMS", TERMS)]).await;
    with_glossary(subject.translate());
    subject
}

#[tokio::test]
async fn every_rich_reply_keeps_its_markup_links_ids_and_terms_in_one_call() {
    let subject = postmessage().await;
    let mut failures = Vec::new();
    for (row, reply) in REPLIES.iter().enumerate() {
        let before = subject.translate().calls().len();
        let request = post_request(json!([{"response_type": "text", "text": reply}]));
        let response = subject.send(UrlEvent::post(&request.to_string())).await;
        assert_eq!(response.status, 200, "row {row}: {}", response.text());
        let got = response.json()["payload"]["output"]["generic"][0]["text"].as_str().unwrap_or_default().to_owned();
        let calls = subject.translate().calls().len() - before;
        if got != format!("[en->es] {reply}") || calls != 1 {
            failures.push(format!("row {row}: {calls} calls, {reply:?} came back as {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} replies damaged:\n{}", failures.len(), REPLIES.len(), failures.join("\n"));
    assert!(subject.translate().rejected().is_empty(), "{:?}", subject.translate().rejected());
}

#[tokio::test]
async fn the_fake_damages_the_same_replies_when_nothing_protects_them() {
    // The fake must be as bad as machine translation on plain text, or the table above proves
    // nothing: sent as plain text, every Markdown row and every plain-text hazard comes back
    // damaged. (HTML tags and attributes the service keeps by itself, as it documents.)
    let translate = FakeTranslate::start().await;
    with_glossary(&translate);
    let raw = translate.translator(std::time::Duration::from_secs(3));
    use shared::translate::{SourceLanguage, Translator};
    let mut damaged = 0;
    for reply in REPLIES {
        let answer = raw.translate(reply, &SourceLanguage::Code("en".into()), "es").await.expect("translated");
        if answer.text != format!("[en->es] {reply}") {
            damaged += 1;
        }
    }
    println!("unprotected, the fake damaged {damaged} of {} replies", REPLIES.len());
    assert!(damaged * 3 >= REPLIES.len() * 2, "only {damaged} of {} rows damaged without protection", REPLIES.len());
}

#[tokio::test]
async fn every_user_input_reaches_the_assistant_with_ids_addresses_and_terms_intact() {
    let subject = Subject::start(Function::PreMessage, &[("PROTECTED_TERMS", TERMS)]).await;
    with_glossary(subject.translate());
    let mut failures = Vec::new();
    for (row, input) in INPUTS.iter().enumerate() {
        let before = subject.translate().calls().len();
        let response = subject.send(UrlEvent::post(&pre_request(input).to_string())).await;
        assert_eq!(response.status, 200, "row {row}: {}", response.text());
        let got = response.json()["payload"]["input"]["text"].as_str().unwrap_or_default().to_owned();
        let calls = subject.translate().calls().len() - before;
        if got != format!("[es->en] {input}") || calls != 1 {
            failures.push(format!("row {row}: {calls} calls, {input:?} reached the assistant as {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} inputs damaged:\n{}", failures.len(), INPUTS.len(), failures.join("\n"));
}

#[tokio::test]
async fn a_text_of_only_ids_urls_numbers_addresses_and_terms_costs_no_call() {
    let subject = postmessage().await;
    let generic = json!([
        {"response_type": "text", "text": "ABC-12345"},
        {"response_type": "text", "text": "https://example.com/orders?id=7"},
        {"response_type": "text", "text": "support@example.com"},
        {"response_type": "text", "text": "Acme Cloud"},
        {"response_type": "text", "text": "20:30 - 42"},
        {"response_type": "text", "text": "`reset password`"},
    ]);
    let response = subject.send(UrlEvent::post(&post_request(generic.clone()).to_string())).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["payload"]["output"]["generic"], generic, "all kept as they are");
    assert!(subject.translate().calls().is_empty(), "{:?}", subject.translate().calls());
}

/// One reply holding every response type IBM documents with text a user reads (IBM's "Response
/// types reference" and the v2 API reference), each text with markup in it.
#[tokio::test]
async fn every_response_type_is_translated_and_its_values_are_kept() {
    let subject = postmessage().await;
    let marked = |text: &str| format!("**{text}** for [Acme Cloud](https://example.com/{})", text.len());
    let generic = json!([
        {"response_type": "text", "text": marked("Text")},
        {"response_type": "option", "title": marked("Option title"), "description": "Pick one",
         "options": [{"label": marked("Label"), "value": {"input": {"text": "track order"}}}]},
        {"response_type": "suggestion", "title": "Did you mean", "suggestions": [{"label": "Track order", "value": {"input": {"text": "track"}}}]},
        {"response_type": "connect_to_agent", "message_to_human_agent": "Agent note",
         "agent_available": {"message": "An agent is coming"}, "agent_unavailable": {"message": "Nobody is free"}},
        {"response_type": "channel_transfer", "message_to_user": "Continue on <b>WhatsApp</b>"},
        {"response_type": "image", "source": "https://example.com/a.png", "title": "Map", "alt_text": "A map of ABC-12345"},
        {"response_type": "button", "button_type": "post_back", "label": "Send message"},
        {"response_type": "button", "button_type": "show_panel", "label": "See details", "alt_text": "Details",
         "panel": {"title": "Product", "show_animations": true,
                   "body": [{"response_type": "text", "text": "Product _details_"}],
                   "footer": [{"response_type": "button", "button_type": "url", "label": "Buy", "url": "https://example.com/buy"}]}},
        {"response_type": "card", "body": [{"response_type": "text", "text": "# Heading"}, {"response_type": "text", "text": "Card body"}]},
        {"response_type": "carousel", "items": [{"response_type": "card", "body": [{"response_type": "text", "text": "First card"}]}]},
        {"response_type": "grid", "columns": [{"width": "1"}],
         "rows": [{"cells": [{"items": [{"response_type": "text", "text": "Cell text"}], "horizontal_alignment": "left"}]}]},
        {"response_type": "table", "title": "Your orders", "description": "Last month",
         "headers": ["Order", "Status"], "rows": [{"cells": ["ABC-12345", "Shipped"]}, {"cells": [42, "Open"]}]},
        {"response_type": "conversational_search", "text": "Returns are **free** within 30 days.", "citations_title": "How do we know?",
         "disclaimer": "Generated by AI", "response_length_option": "moderate",
         "citations": [{"title": "Returns", "text": "Free returns", "body": "Returns are free", "search_result_index": 0, "ranges": [{"start": 12, "end": 16}]}],
         "search_results": [{"id": "doc-1", "title": "Returns policy", "body": "All returns are free.", "result_metadata": {"score": 0.9}}]},
        {"response_type": "conversation_search", "text": "Spelt as in the SDKs.", "citations": []},
        {"response_type": "search", "header": "I found this",
         "primary_results": [{"id": "r1", "title": "About returns", "body": "Returns take 5 days", "url": "https://example.com/r",
                              "highlight": {"body": ["<em>Returns</em> take 5 days"], "url": ["https://example.com/<em>r</em>"]},
                              "answers": [{"text": "5 days", "confidence": 0.8}]}],
         "additional_results": [], "results": [{"title": "Old shape", "body": "Still read", "url": "https://example.com/o"}]}
    ]);
    let request = post_request(generic.clone());
    let response = subject.send(UrlEvent::post(&request.to_string())).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let out = &response.json()["payload"]["output"]["generic"];

    let translated = [
        "/0/text",
        "/1/title",
        "/1/description",
        "/1/options/0/label",
        "/2/title",
        "/2/suggestions/0/label",
        "/3/agent_available/message",
        "/3/agent_unavailable/message",
        "/4/message_to_user",
        "/5/title",
        "/5/alt_text",
        "/6/label",
        "/7/label",
        "/7/alt_text",
        "/7/panel/title",
        "/7/panel/body/0/text",
        "/7/panel/footer/0/label",
        "/8/body/0/text",
        "/8/body/1/text",
        "/9/items/0/body/0/text",
        "/10/rows/0/cells/0/items/0/text",
        "/11/title",
        "/11/description",
        "/11/headers/0",
        "/11/headers/1",
        "/11/rows/0/cells/1",
        "/11/rows/1/cells/1",
        "/12/text",
        "/12/citations_title",
        "/12/disclaimer",
        "/12/citations/0/title",
        "/12/citations/0/text",
        "/12/citations/0/body",
        "/12/search_results/0/title",
        "/12/search_results/0/body",
        "/13/text",
        "/14/header",
        "/14/primary_results/0/title",
        "/14/primary_results/0/body",
        "/14/primary_results/0/highlight/body/0",
        "/14/primary_results/0/answers/0/text",
        "/14/results/0/title",
        "/14/results/0/body",
    ];
    let mut expected = generic.clone();
    for pointer in translated {
        let original = generic.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("{pointer}"));
        *expected.pointer_mut(pointer).unwrap() = json!(format!("[en->es] {original}"));
    }
    // What the assistant routes on stays: the post_back button's label is its input text.
    expected[6]["value"] = json!({"input": {"text": "Send message"}});
    // The citation's range (12..16, "**fr") ends inside a sentence: it cannot be placed in the
    // translated answer, and the array IBM's schema requires stays, empty.
    expected[12]["citations"][0]["ranges"] = json!([]);
    assert_eq!(out, &expected);

    // Each distinct visible string once, and the agent's note, ids, numbers, URLs never.
    let sent: Vec<String> = subject.translate().calls().into_iter().map(|call| call.text).collect();
    let mut distinct: Vec<&str> = translated.iter().filter_map(|p| generic.pointer(p)?.as_str()).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(sent.len(), distinct.len(), "one call per distinct string: {sent:#?}");
    assert!(!sent.iter().any(|text| text.contains("Agent note") || text.contains("doc-1")));
}

/// The words a UTF-16 range marks (IBM's web chat cuts the answer with JavaScript's `substring`).
fn marked(text: &str, range: &Value) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    let (start, end) = (range["start"].as_u64().unwrap() as usize, range["end"].as_u64().unwrap() as usize);
    String::from_utf16(&units[start..end]).unwrap()
}

/// Conversational-search citations keep `ranges` (IBM's v2 schema requires it) through
/// translation: a range at sentence boundaries marks the same sentences in the translated answer,
/// each translated; one that starts or ends inside a sentence cannot be placed and is left out,
/// as are all of IBM's web chat demo's (their offsets fall inside words) and the Java SDK's
/// reversed 5..3.
#[tokio::test]
async fn conversational_search_citations_keep_their_ranges_on_the_translated_answer() {
    let subject = postmessage().await;
    let cases: [(&str, &[usize]); 3] = [
        ("ibm-java-sdk-conversational-search.json", &[0]),
        ("ibm-carbon-ai-chat-demo-conversational-search.json", &[0, 0, 0]),
        ("constructed-conversational-search-sentence-ranges.json", &[1, 1, 1]),
    ];
    let mut answers = Vec::new();
    for (name, kept) in cases {
        let generic = fixture_json(name)["output"]["generic"].clone();
        let response = subject.send(UrlEvent::post(&post_request(generic.clone()).to_string())).await;
        assert_eq!(response.status, 200, "{name}: {}", response.text());
        let item = response.json()["payload"]["output"]["generic"][0].clone();
        let citations = item["citations"].as_array().unwrap();
        let counts: Vec<usize> = citations.iter().map(|c| c["ranges"].as_array().expect("an array").len()).collect();
        assert_eq!(counts, kept, "{name}: ranges kept per citation");
        assert!(item["citations"][0]["title"].as_str().unwrap().starts_with("[en->es] "), "{name}");
        answers.push((generic[0].clone(), item));
    }
    let (original, translated) = &answers[2];
    let text = original["text"].as_str().unwrap();
    let sentence = |start, end| format!("[en->es] {}", marked(text, &json!({"start": start, "end": end})));
    let (one, two, three) = (sentence(0, 132), sentence(133, 214), sentence(215, 420));
    let answer = translated["text"].as_str().unwrap();
    assert_eq!(answer, format!("{one} {two} {three}"), "each sentence translated on its own");
    let citations = &translated["citations"];
    assert_eq!(marked(answer, &citations[0]["ranges"][0]), three);
    assert_eq!(marked(answer, &citations[1]["ranges"][0]), one);
    assert_eq!(marked(answer, &citations[2]["ranges"][0]), format!("{two} {three}"));
}

#[tokio::test]
async fn formality_profanity_and_terminology_go_with_every_call() {
    let overrides = [
        ("TRANSLATE_FORMALITY", "informal,de:formal"),
        ("TRANSLATE_PROFANITY", "mask"),
        ("TRANSLATE_TERMINOLOGY", "acme-brand"),
    ];
    let subject = Subject::start(Function::PostMessage, &overrides).await;
    for language in ["es", "de"] {
        let mut request = post_request(json!([{"response_type": "text", "text": "Are you sure?"}]));
        for skill in request["payload"]["context"]["skills"].as_object_mut().unwrap().values_mut() {
            skill["user_defined"] = json!({"language": language});
        }
        let response = subject.send(UrlEvent::post(&request.to_string())).await;
        assert_eq!(response.status, 200, "{}", response.text());
    }
    let calls = subject.translate().calls();
    let seen: Vec<String> =
        calls.iter().map(|c| format!("{} {:?} {:?} {:?}", c.target, c.formality, c.profanity, c.terminology)).collect();
    assert_eq!(
        seen,
        [r#"es Some("INFORMAL") Some("MASK") ["acme-brand"]"#, r#"de Some("FORMAL") Some("MASK") ["acme-brand"]"#]
    );
}

#[tokio::test]
async fn the_dialog_translate_action_protects_too() {
    let subject = Subject::start(Function::Dialog, &[("PROTECTED_TERMS", TERMS)]).await;
    with_glossary(subject.translate());
    let text = "Ask about Acme Cloud at help@acme.com or see [the FAQ](https://example.com/faq).";
    let params = json!({"action": "translate", "text": text, "source": "en", "target": "es"});
    let response = subject.send(UrlEvent::post(&params.to_string())).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["translation"], format!("[en->es] {text}"));
}

#[tokio::test]
async fn an_answer_that_loses_a_protected_piece_leaves_the_reply_untranslated() {
    let subject = postmessage().await;
    let reply = "See [our FAQ](https://example.com/faq) now.";
    // A service that drops the link's element: the user gets the original, never a broken link.
    let sent_html = "See <a data-p=\"0\">our <span translate=\"no\" data-p=\"1\">FAQ</span></a> now.";
    subject.translate().phrase(sent_html, "es", "Mira nuestras preguntas ahora.");
    let request = post_request(json!([{"response_type": "text", "text": reply}]));
    let response = subject.send(UrlEvent::post(&request.to_string())).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(subject.translate().calls()[0].text, sent_html, "the HTML that was sent");
    assert_eq!(response.json()["payload"]["output"]["generic"][0]["text"], reply);
}
