//! Forged, stale and misplaced tokens against the Signed JWT mode, through the real lambda_http
//! entry point of each function that takes one (premessage, postmessage, log), one test per row
//! and function: `CASES` × the functions of `Function::with_json_body()` that take a Signed JWT
//! (the audio webhook's tokens, on its multipart body, are `tests/audio.rs`'), run by
//! `table::run` (`harness = false`). The config is the template's: `WEBHOOK_AUTH=jwt`, `WEBHOOK_SECRET`, and
//! `WEBHOOK_SECRET_PREVIOUS` set as during a rotation.
//!
//! Refused rows get exactly the generic 401 body, the function does nothing (no Translate call,
//! nothing stored), and one log line gives the reason code and the invocation id. In every row,
//! accepted or not, no token, secret or user text appears in a log line or the answer's error.
//!
//! Rows: 38 refused and 15 accepted, for each of the 3 functions: 159 tests. Where a row's reason
//! is certain (no credentials, a wrong secret, an oversized header), the log line must give it.
//!
//! The other auth modes (Basic, an API key, none) are checked end to end through every function
//! at the end.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use webhook_tests::entry_point::{INVOCATION_ID, UrlEvent, assert_nothing_leaks};
use webhook_tests::hardening::{Function, PREVIOUS_SECRET, Subject, TestFunction, USER_MARKER};
use webhook_tests::table::{self, trial};
use webhook_tests::{LogCapture, SECRET};

/// `exp` and `nbf` are checked with this much leeway (shared::auth::JWT_LEEWAY_SECONDS).
const LEEWAY: u64 = shared::auth::JWT_LEEWAY_SECONDS;

struct Case {
    /// Puts the credentials into the event.
    present: Box<dyn Fn(UrlEvent) -> UrlEvent>,
    accepted: bool,
    /// What must never be echoed or logged (the token in every form sent).
    tokens: Vec<String>,
    /// The reason code the refusal's log line must give; `None`: any of the three.
    reason: Option<&'static str>,
}

impl Case {
    fn because(mut self, reason: &'static str) -> Case {
        self.reason = Some(reason);
        self
    }
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn b64(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

/// A token signed by jsonwebtoken with `alg`.
fn signed(alg: Algorithm, secret: &str, claims: Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), &claims, &EncodingKey::from_secret(secret.as_bytes())).expect("sign")
}

/// A token with a hand-made header, signed by HMAC (`hmac`) with `secret` over `header.claims`.
fn hand_made(header: Value, claims: Value, secret: &str, hmac: Algorithm) -> String {
    let message = format!("{}.{}", b64(&header), b64(&claims));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &EncodingKey::from_secret(secret.as_bytes()), hmac)
        .expect("hmac");
    format!("{message}.{signature}")
}

/// The assistant's usual claims, with a user-looking subject.
fn claims() -> Value {
    json!({"iss": "watsonx-assistant", "sub": "qzx-user-words-7731", "exp": now() + 300})
}

fn in_header(name: &'static str, value: String, accepted: bool) -> Case {
    let token = value.split_once(' ').map_or(value.as_str(), |(_, token)| token).trim().to_owned();
    let tokens = vec![value.clone(), token];
    Case { present: Box::new(move |event| event.header(name, &value)), accepted, tokens, reason: None }
}

fn refused(value: String) -> Case {
    in_header("authorization", value, false)
}

fn accepted(value: String) -> Case {
    in_header("authorization", value, true)
}

mod cases {
    use super::*;

    // ---- refused ----
    pub fn alg_none_unsigned() -> Case {
        refused(format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&claims())))
    }
    pub fn alg_none_with_a_real_signature() -> Case {
        refused(hand_made(json!({"alg": "none", "typ": "JWT"}), claims(), SECRET, Algorithm::HS256))
    }
    pub fn alg_none_upper_case() -> Case {
        refused(format!("{}.{}.", b64(&json!({"alg": "NONE", "typ": "JWT"})), b64(&claims())))
    }
    pub fn alg_missing() -> Case {
        refused(hand_made(json!({"typ": "JWT"}), claims(), SECRET, Algorithm::HS256))
    }
    pub fn signed_with_another_secret() -> Case {
        refused(format!("Bearer {}", signed(Algorithm::HS256, "guessed-webhook-secret", claims())))
            .because("invalid_credentials")
    }
    pub fn signed_with_the_secret_plus_a_byte() -> Case {
        refused(signed(Algorithm::HS256, &format!("{SECRET}x"), claims()))
    }
    pub fn signed_with_a_prefix_of_the_secret() -> Case {
        refused(signed(Algorithm::HS256, &SECRET[..SECRET.len() - 1], claims()))
    }
    pub fn signed_with_an_empty_secret() -> Case {
        refused(signed(Algorithm::HS256, "", claims()))
    }
    /// Key confusion: an asymmetric header over an HMAC made with the secret as the "public key".
    pub fn rs256_header_hmac_with_the_secret() -> Case {
        refused(hand_made(json!({"alg": "RS256", "typ": "JWT"}), claims(), SECRET, Algorithm::HS256))
    }
    pub fn es256_header_hmac_with_the_secret() -> Case {
        refused(hand_made(json!({"alg": "ES256", "typ": "JWT"}), claims(), SECRET, Algorithm::HS256))
    }
    pub fn ps256_header_hmac_with_the_secret() -> Case {
        refused(hand_made(json!({"alg": "PS256", "typ": "JWT"}), claims(), SECRET, Algorithm::HS256))
    }
    pub fn eddsa_header_hmac_with_the_secret() -> Case {
        refused(hand_made(json!({"alg": "EdDSA", "typ": "JWT"}), claims(), SECRET, Algorithm::HS512))
    }
    /// The header says HS256, the signature is HS512 with the right secret.
    pub fn header_and_signature_algorithms_differ() -> Case {
        refused(hand_made(json!({"alg": "HS256", "typ": "JWT"}), claims(), SECRET, Algorithm::HS512))
    }
    pub fn expired() -> Case {
        refused(signed(Algorithm::HS256, SECRET, json!({"exp": now() - 3600})))
    }
    pub fn expired_just_beyond_the_leeway() -> Case {
        refused(signed(Algorithm::HS256, SECRET, json!({"exp": now() - LEEWAY - 10})))
    }
    pub fn not_yet_valid() -> Case {
        refused(signed(Algorithm::HS256, SECRET, json!({"nbf": now() + LEEWAY + 60})))
    }
    /// Claims changed after signing (a later `exp`), the signature kept.
    pub fn claims_tampered_after_signing() -> Case {
        let token = signed(Algorithm::HS256, SECRET, json!({"exp": now() - 3600}));
        let signature = token.rsplit('.').next().unwrap();
        refused(format!(
            "{}.{}.{signature}",
            b64(&json!({"alg": "HS256", "typ": "JWT"})),
            b64(&json!({"exp": now() + 3600}))
        ))
    }
    /// A genuine signature of another token.
    pub fn signature_of_another_token() -> Case {
        let other = signed(Algorithm::HS256, SECRET, json!({"sub": "someone else"}));
        let token = signed(Algorithm::HS256, SECRET, claims());
        let (message, _) = token.rsplit_once('.').unwrap();
        refused(format!("{message}.{}", other.rsplit('.').next().unwrap()))
    }
    pub fn truncated() -> Case {
        let token = signed(Algorithm::HS256, SECRET, claims());
        refused(token[..token.len() - 6].to_owned())
    }
    pub fn without_its_signature() -> Case {
        let token = signed(Algorithm::HS256, SECRET, claims());
        refused(token.rsplit_once('.').unwrap().0.to_owned())
    }
    /// RFC 7515: a `crit` extension the function does not understand.
    pub fn crit_header() -> Case {
        refused(hand_made(json!({"alg": "HS256", "typ": "JWT", "crit": ["exp"]}), claims(), SECRET, Algorithm::HS256))
            .because("invalid_credentials")
    }
    /// `exp` a century ahead: beyond JWT_MAX_LIFETIME_SECONDS.
    pub fn exp_a_century_ahead() -> Case {
        refused(signed(Algorithm::HS256, SECRET, json!({"exp": now() + 100 * 365 * 86_400})))
            .because("invalid_credentials")
    }
    pub fn iat_in_the_future() -> Case {
        refused(signed(Algorithm::HS256, SECRET, json!({"iat": now() + LEEWAY + 600, "exp": now() + 900})))
            .because("invalid_credentials")
    }
    pub fn garbage() -> Case {
        refused("Bearer qzx%%garbage$$token".to_owned())
    }
    pub fn three_garbage_segments() -> Case {
        refused("a.b.c".to_owned())
    }
    pub fn empty_header() -> Case {
        refused(String::new()).because("missing_credentials")
    }
    pub fn whitespace_header() -> Case {
        refused("   ".to_owned()).because("missing_credentials")
    }
    pub fn scheme_only() -> Case {
        refused("Bearer".to_owned())
    }
    pub fn header_of_10_kb_garbage() -> Case {
        refused(format!("Bearer {}", "a".repeat(10 * 1024))).because("malformed_credentials")
    }
    /// Even a genuine signature: a 10 KB header is refused before any parsing.
    pub fn header_of_10_kb_correctly_signed() -> Case {
        refused(format!("Bearer {}", signed(Algorithm::HS256, SECRET, json!({"pad": "p".repeat(8 * 1024)}))))
    }
    pub fn non_ascii_header() -> Case {
        refused(format!("Bearer {}ö", signed(Algorithm::HS256, SECRET, claims())))
    }
    pub fn the_secret_itself_as_the_token() -> Case {
        refused(format!("Bearer {SECRET}"))
    }
    pub fn basic_scheme_around_a_valid_token() -> Case {
        refused(format!("Basic {}", signed(Algorithm::HS256, SECRET, claims())))
    }
    /// Two `Authorization` headers reach a function URL joined with a comma.
    pub fn two_valid_tokens_joined() -> Case {
        let token = signed(Algorithm::HS256, SECRET, claims());
        refused(format!("{token},{token}"))
    }
    pub fn right_token_in_the_query_string() -> Case {
        let token = signed(Algorithm::HS256, SECRET, claims());
        let query = format!("token={token}&access_token={token}");
        let present = Box::new(move |event: UrlEvent| event.query(&query));
        Case { present, accepted: false, tokens: vec![token], reason: Some("missing_credentials") }
    }
    pub fn right_bearer_in_the_query_string() -> Case {
        let token = signed(Algorithm::HS256, SECRET, claims());
        let query = format!("authorization=Bearer%20{token}");
        let present = Box::new(move |event: UrlEvent| event.query(&query));
        Case { present, accepted: false, tokens: vec![token], reason: Some("missing_credentials") }
    }
    pub fn right_token_in_x_authorization() -> Case {
        in_header("x-authorization", format!("Bearer {}", signed(Algorithm::HS256, SECRET, claims())), false)
    }
    /// IBM's documentation sample names the header `authentication`.
    pub fn right_token_in_authentication() -> Case {
        in_header("authentication", signed(Algorithm::HS256, SECRET, claims()), false)
    }

    // ---- accepted ----
    pub fn valid_bare() -> Case {
        accepted(signed(Algorithm::HS256, SECRET, claims()))
    }
    pub fn valid_with_bearer() -> Case {
        accepted(format!("Bearer {}", signed(Algorithm::HS256, SECRET, claims())))
    }
    pub fn valid_with_lower_case_bearer() -> Case {
        accepted(format!("bearer {}", signed(Algorithm::HS256, SECRET, claims())))
    }
    pub fn valid_with_upper_case_bearer_and_spaces() -> Case {
        accepted(format!("  BEARER   {}  ", signed(Algorithm::HS256, SECRET, claims())))
    }
    pub fn valid_without_exp() -> Case {
        accepted(signed(Algorithm::HS256, SECRET, json!({"iss": "watsonx-assistant"})))
    }
    pub fn valid_with_no_claims_at_all() -> Case {
        accepted(signed(Algorithm::HS256, SECRET, json!({})))
    }
    pub fn valid_expired_within_the_leeway() -> Case {
        accepted(signed(Algorithm::HS256, SECRET, json!({"exp": now() - LEEWAY / 3})))
    }
    pub fn valid_with_nbf_and_iat_in_the_past() -> Case {
        accepted(signed(Algorithm::HS256, SECRET, json!({"nbf": now() - 60, "iat": now() - 60, "exp": now() + 60})))
    }
    pub fn valid_hs384() -> Case {
        accepted(format!("Bearer {}", signed(Algorithm::HS384, SECRET, claims())))
    }
    pub fn valid_hs512() -> Case {
        accepted(signed(Algorithm::HS512, SECRET, claims()))
    }
    pub fn valid_previous_secret_during_rotation() -> Case {
        accepted(format!("Bearer {}", signed(Algorithm::HS256, PREVIOUS_SECRET, claims())))
    }
    pub fn valid_previous_secret_hs512() -> Case {
        accepted(signed(Algorithm::HS512, PREVIOUS_SECRET, claims()))
    }
    pub fn valid_header_name_capitalised() -> Case {
        in_header("Authorization", format!("Bearer {}", signed(Algorithm::HS256, SECRET, claims())), true)
    }
    pub fn valid_header_name_upper_case() -> Case {
        in_header("AUTHORIZATION", signed(Algorithm::HS256, SECRET, claims()), true)
    }
    pub fn valid_with_unknown_header_members() -> Case {
        accepted(hand_made(
            json!({"alg": "HS256", "typ": "JWT", "kid": "k1", "jku": "https://attacker.example/keys"}),
            claims(),
            SECRET,
            Algorithm::HS256,
        ))
    }
}

/// A valid body whose user-visible text carries `USER_MARKER`.
fn body(function: Function) -> Value {
    function.body_with_text(&format!("Where is my order {USER_MARKER}"))
}

async fn run(function: Function, case: Case) {
    let (logs, _guard) = LogCapture::start();
    let subject = Subject::start(function, &[("WEBHOOK_SECRET_PREVIOUS", PREVIOUS_SECRET)]).await;
    let event = (case.present)(UrlEvent::post(&body(function).to_string()));
    let response = subject.send_as_is(&event).await;
    let reply = response.json();

    let auth_lines = logs.lines_with_message("webhook auth failed");
    if case.accepted {
        assert_eq!(response.status, function.accepted_status(), "{}: refused a valid token: {reply}", function.name());
        assert!(auth_lines.is_empty(), "{:?}", auth_lines);
    } else {
        assert_eq!(response.status, 401, "{}: accepted: {reply}", function.name());
        assert_eq!(reply, json!({"error": {"code": "unauthorized", "message": "missing or invalid credentials"}}));
        assert_eq!(auth_lines.len(), 1, "{}: one line with the reason\n{}", function.name(), logs.text());
        let fields = &auth_lines[0]["fields"];
        assert_eq!(fields["request_id"], INVOCATION_ID);
        let reason = fields["reason"].as_str().unwrap_or_default();
        assert!(["missing_credentials", "malformed_credentials", "invalid_credentials"].contains(&reason), "{reason}");
        if let Some(expected) = case.reason {
            assert_eq!(reason, expected, "{}", function.name());
        }
        // Refused before any work: nothing translated, nothing stored.
        if let Some(translate) = &subject.translate {
            assert!(translate.calls().is_empty());
        }
        assert!(subject.stored_files().is_empty(), "{:?}", subject.stored_files());
        // Cheap to refuse: that one log line and no metric (EMF) line.
        let text = logs.text();
        let lines: Vec<&str> = text.lines().filter(|line| line.contains(INVOCATION_ID)).collect();
        assert_eq!(lines.len(), 1, "{}: one log line\n{}", function.name(), logs.text());
        assert_eq!(subject.metrics_text(), "", "{}: a metric line for a refusal", function.name());
        println!("{}: a refused request wrote {} log bytes", function.name(), lines[0].len() + 1);
    }

    let mut needles: Vec<String> = case.tokens.iter().filter(|token| token.len() >= 8).cloned().collect();
    needles.extend(subject.secrets());
    needles.push(USER_MARKER.to_owned());
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    let error_body = if case.accepted { String::new() } else { response.text() };
    assert_nothing_leaks(
        &[("the logs", &logs.text()), ("the metric line", &subject.metrics_text()), ("the error body", &error_body)],
        &needles,
    );
}

/// Builds a case (tokens carry the current time, so each test signs its own).
type MakeCase = fn() -> Case;

/// The cases, each run against every JSON function that takes a Signed JWT, as
/// `<case>::<function>`.
const CASES: &[(&str, MakeCase)] = &[
    ("alg_none_unsigned", cases::alg_none_unsigned),
    ("alg_none_with_a_real_signature", cases::alg_none_with_a_real_signature),
    ("alg_none_upper_case", cases::alg_none_upper_case),
    ("alg_missing", cases::alg_missing),
    ("signed_with_another_secret", cases::signed_with_another_secret),
    ("signed_with_the_secret_plus_a_byte", cases::signed_with_the_secret_plus_a_byte),
    ("signed_with_a_prefix_of_the_secret", cases::signed_with_a_prefix_of_the_secret),
    ("signed_with_an_empty_secret", cases::signed_with_an_empty_secret),
    ("rs256_header_hmac_with_the_secret", cases::rs256_header_hmac_with_the_secret),
    ("es256_header_hmac_with_the_secret", cases::es256_header_hmac_with_the_secret),
    ("ps256_header_hmac_with_the_secret", cases::ps256_header_hmac_with_the_secret),
    ("eddsa_header_hmac_with_the_secret", cases::eddsa_header_hmac_with_the_secret),
    ("header_and_signature_algorithms_differ", cases::header_and_signature_algorithms_differ),
    ("expired", cases::expired),
    ("expired_just_beyond_the_leeway", cases::expired_just_beyond_the_leeway),
    ("not_yet_valid", cases::not_yet_valid),
    ("claims_tampered_after_signing", cases::claims_tampered_after_signing),
    ("signature_of_another_token", cases::signature_of_another_token),
    ("truncated", cases::truncated),
    ("without_its_signature", cases::without_its_signature),
    ("crit_header", cases::crit_header),
    ("exp_a_century_ahead", cases::exp_a_century_ahead),
    ("iat_in_the_future", cases::iat_in_the_future),
    ("garbage", cases::garbage),
    ("three_garbage_segments", cases::three_garbage_segments),
    ("empty_header", cases::empty_header),
    ("whitespace_header", cases::whitespace_header),
    ("scheme_only", cases::scheme_only),
    ("header_of_10_kb_garbage", cases::header_of_10_kb_garbage),
    ("header_of_10_kb_correctly_signed", cases::header_of_10_kb_correctly_signed),
    ("non_ascii_header", cases::non_ascii_header),
    ("the_secret_itself_as_the_token", cases::the_secret_itself_as_the_token),
    ("basic_scheme_around_a_valid_token", cases::basic_scheme_around_a_valid_token),
    ("two_valid_tokens_joined", cases::two_valid_tokens_joined),
    ("right_token_in_the_query_string", cases::right_token_in_the_query_string),
    ("right_bearer_in_the_query_string", cases::right_bearer_in_the_query_string),
    ("right_token_in_x_authorization", cases::right_token_in_x_authorization),
    ("right_token_in_authentication", cases::right_token_in_authentication),
    ("valid_bare", cases::valid_bare),
    ("valid_with_bearer", cases::valid_with_bearer),
    ("valid_with_lower_case_bearer", cases::valid_with_lower_case_bearer),
    ("valid_with_upper_case_bearer_and_spaces", cases::valid_with_upper_case_bearer_and_spaces),
    ("valid_without_exp", cases::valid_without_exp),
    ("valid_with_no_claims_at_all", cases::valid_with_no_claims_at_all),
    ("valid_expired_within_the_leeway", cases::valid_expired_within_the_leeway),
    ("valid_with_nbf_and_iat_in_the_past", cases::valid_with_nbf_and_iat_in_the_past),
    ("valid_hs384", cases::valid_hs384),
    ("valid_hs512", cases::valid_hs512),
    ("valid_previous_secret_during_rotation", cases::valid_previous_secret_during_rotation),
    ("valid_previous_secret_hs512", cases::valid_previous_secret_hs512),
    ("valid_header_name_capitalised", cases::valid_header_name_capitalised),
    ("valid_header_name_upper_case", cases::valid_header_name_upper_case),
    ("valid_with_unknown_header_members", cases::valid_with_unknown_header_members),
];

fn main() {
    let mut trials = Vec::new();
    for &(name, case) in CASES {
        for function in Function::with_json_body().filter(|f| f.takes_signed_jwt()) {
            trials.push(trial(format!("{name}::{function}"), move || run(function, case())));
        }
    }
    trials.push(trial("the_other_auth_modes_work_end_to_end", the_other_auth_modes_work_end_to_end));
    table::run(trials)
}

/// The other auth modes, end to end through every JSON function: Basic (a password with a space in
/// it), an API key in its header (and not in another), and none. A refusal is the generic 401.
async fn the_other_auth_modes_work_end_to_end() {
    let (_logs, _guard) = LogCapture::start();
    let basic = |credentials: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials));
    let basic_mode: &[(&str, &str)] =
        &[("WEBHOOK_AUTH", "basic"), ("WEBHOOK_SECRET", "watson:pa ss-word-of-thirty-two-bytes!!")];
    let api_key_mode: &[(&str, &str)] =
        &[("WEBHOOK_AUTH", "api-key"), ("WEBHOOK_SECRET", "k-1-an-api-key-of-thirty-two-bytes")];
    type Row<'a> = (&'a str, &'a [(&'a str, &'a str)], Option<(&'a str, String)>, bool);
    let rows: [Row; 7] = [
        ("basic", basic_mode, Some(("authorization", basic("watson:pa ss-word-of-thirty-two-bytes!!"))), true),
        (
            "basic, a wrong password",
            basic_mode,
            Some(("authorization", basic("watson:pa ss-word-of-thirty-two-bytes"))),
            false,
        ),
        ("api-key", api_key_mode, Some(("x-api-key", "k-1-an-api-key-of-thirty-two-bytes".into())), true),
        ("api-key, a wrong key", api_key_mode, Some(("x-api-key", "k-2-an-api-key-of-thirty-two-bytes".into())), false),
        (
            "api-key, in authorization",
            api_key_mode,
            Some(("authorization", "k-1-an-api-key-of-thirty-two-bytes".into())),
            false,
        ),
        ("api-key, none sent", api_key_mode, None, false),
        ("none", &[("WEBHOOK_AUTH", "none")], None, true),
    ];
    for function in Function::with_json_body() {
        for (name, overrides, credentials, accepted) in &rows {
            let subject = Subject::start(function, overrides).await;
            let mut event = UrlEvent::post(&function.valid_body().to_string());
            if let Some((header, value)) = credentials {
                event = event.header(header, value);
            }
            let response = subject.send_as_is(&event).await;
            let expected = if *accepted { function.accepted_status() } else { 401 };
            assert_eq!(response.status, expected, "{} {name}: {}", function.name(), response.text());
            if !accepted {
                let unauthorized =
                    json!({"error": {"code": "unauthorized", "message": "missing or invalid credentials"}});
                assert_eq!(response.json(), unauthorized);
            }
        }
    }
}
