//! `webhooks self-check` against every function served over real HTTP on loopback (each built
//! as its main.rs builds it, behind a fake Translate; log and audio on a directory): all good, a wrong secret, Translate failing,
//! and a function missing. The table and the verdict are what a user reads.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use webhook_tests::entry_point::Handler;
use webhook_tests::hardening::{DIALOG_CREDENTIALS, Function, Subject};
use webhook_tests::oauth_issuer::{CLIENT_ID, CLIENT_SECRET, Issuer, SCOPE, TestKey};
use webhook_tests::{Behaviour, SECRET};
use webhooks_cli::self_check::{self, OAuthClient, SELF_CHECK_MARKER, Targets};

/// Serves one function at `http://127.0.0.1:<port>/`, the way a function URL hands it requests.
async fn serve(subject: Subject) -> (String, Arc<Subject>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("address"));
    let subject = Arc::new(subject);
    let serving = subject.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let subject = serving.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<Incoming>| {
                    let subject = subject.clone();
                    async move {
                        let (parts, body) = request.into_parts();
                        let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                        let request = lambda_http::Request::from_parts(parts, lambda_http::Body::from(bytes.to_vec()));
                        let response = subject.webhook.handle(request).await;
                        let (parts, body) = response.into_parts();
                        Ok::<_, Infallible>(hyper::Response::from_parts(parts, Full::new(Bytes::from(body.to_vec()))))
                    }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    (url, subject)
}

struct Served {
    urls: BTreeMap<Function, String>,
    subjects: Vec<Arc<Subject>>,
}

async fn serve_all() -> Served {
    serve_all_with(&[]).await
}

/// Every function, premessage and postmessage with `overrides` on their config.
async fn serve_all_with(overrides: &[(&str, &str)]) -> Served {
    let mut urls = BTreeMap::new();
    let mut subjects = Vec::new();
    for function in Function::ALL {
        let own = if matches!(function, Function::PreMessage | Function::PostMessage) { overrides } else { &[] };
        let (url, subject) = serve(Subject::start(function, own).await).await;
        urls.insert(function, url);
        subjects.push(subject);
    }
    Served { urls, subjects }
}

fn targets(urls: BTreeMap<Function, String>, secret: &str) -> Targets {
    Targets {
        urls,
        secret: Some(secret.to_owned()),
        auth: "jwt".into(),
        api_key_header: "x-api-key".into(),
        dialog_secret: Some(DIALOG_CREDENTIALS.to_owned()),
        dialog_auth: "basic".into(),
        assistant_language: "en".into(),
        user_language: "es".into(),
        turns: 3,
        timeout: Duration::from_secs(5),
        oauth: OAuthClient::default(),
        local: true,
    }
}

#[tokio::test]
async fn all_good_prints_every_function_passing_and_what_to_paste_where() {
    let served = serve_all().await;
    let targets = targets(served.urls.clone(), SECRET);
    let report = self_check::run(&targets).await;
    let table = report.render(&targets);
    println!("{table}");
    assert!(report.passed(), "{table}");
    let translations: Vec<&str> = report.rows.iter().map(|row| row.translation.as_str()).collect();
    assert_eq!(
        translations,
        ["es->en ok", "en->es ok, markup kept", "translate en->es ok", "stored", "stored"],
        "{table}"
    );
    assert!(report.rows.iter().all(|row| row.auth.ends_with(": ok") && row.p50.is_some() && row.p95.is_some()));
    assert!(table.contains("self-check: 5 passed, 0 failed"), "{table}");
    for url in served.urls.values() {
        assert!(table.contains(url.as_str()), "{url} missing from what to paste: {table}");
    }
    assert!(!table.contains(SECRET) && !table.contains(DIALOG_CREDENTIALS), "a secret was printed");
    // The functions really were called: 3 timed turns, the wrong credential, the translating turn.
    let pre = served.subjects[0].translate().calls();
    assert_eq!(pre.len(), 1, "premessage called Translate once, for the foreign turn: {pre:?}");
    let stored = served.subjects[3].stored_files();
    assert_eq!(stored.len(), 3, "three log events stored");
    // Each marked, so that analytics can leave the self-check out.
    for key in &stored {
        assert_eq!(served.subjects[3].stored_json(key)["payload"]["customer_id"], SELF_CHECK_MARKER, "{key}");
    }
    // Three recordings (a new one each turn), each with its metadata, marked the same way and
    // filed under the marker as the session.
    let recorded = served.subjects[4].stored_files();
    let metadata: Vec<&String> = recorded.iter().filter(|key| key.ends_with(".json")).collect();
    assert_eq!((recorded.len(), metadata.len()), (6, 3), "three recordings and their metadata: {recorded:?}");
    for key in metadata {
        assert!(key.contains(&format!("/{SELF_CHECK_MARKER}/")), "{key}");
        assert_eq!(served.subjects[4].stored_json(key)["session_id"], SELF_CHECK_MARKER, "{key}");
    }
}

#[tokio::test]
async fn the_wrong_credential_is_random_not_derived_from_the_secret() {
    let served = serve_all().await;
    let targets = targets(served.urls.clone(), SECRET);
    let (logs, _guard) = webhook_tests::LogCapture::start();
    let report = self_check::run(&targets).await;
    assert!(report.passed(), "{}", report.render(&targets));
    // The refused request's token is signed with a random key: its log line gives the reason
    // only, and nothing in the logs holds the secret or a variant of it.
    assert!(!logs.text().contains(SECRET), "{}", logs.text());
    assert_eq!(logs.lines_with_message("webhook auth failed").len(), Function::ALL.len(), "{}", logs.text());
}

#[tokio::test]
async fn plain_http_outside_local_is_warned_about() {
    let served = serve_all().await;
    let mut targets = targets(served.urls.clone(), SECRET);
    targets.local = false;
    let report = self_check::run(&targets).await;
    let table = report.render(&targets);
    assert_eq!(report.warnings.len(), Function::ALL.len(), "{table}");
    assert!(table.starts_with("warning: http://127.0.0.1:"), "{table}");
    assert!(table.contains("travel unencrypted"), "{table}");
    targets.local = true;
    assert!(self_check::run(&targets).await.warnings.is_empty());
}

#[tokio::test]
async fn oauth2_gets_a_token_from_the_issuer_and_uses_it() {
    let key = TestKey::ec("ec-self-check");
    let issuer = Issuer::start(&[&key]).await;
    issuer.issue_with(&key, json!({"iss": issuer.url, "client_id": CLIENT_ID, "scope": SCOPE, "token_use": "access"}));
    let overrides = [
        ("WEBHOOK_AUTH", "oauth2"),
        ("OAUTH_ISSUER", issuer.url.as_str()),
        ("OAUTH_SCOPES", SCOPE),
        ("OAUTH_AUDIENCE", CLIENT_ID),
    ];
    let served = serve_all_with(&overrides).await;
    let mut targets = targets(served.urls.clone(), SECRET);
    targets.auth = "oauth2".into();
    targets.oauth = OAuthClient {
        token_url: Some(issuer.token_url()),
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(CLIENT_SECRET.into()),
        scope: Some(SCOPE.into()),
    };
    let report = self_check::run(&targets).await;
    let table = report.render(&targets);
    println!("{table}");
    assert!(report.passed(), "{table}");
    assert_eq!((report.rows[0].auth.as_str(), report.rows[1].auth.as_str()), ("oauth2: ok", "oauth2: ok"), "{table}");
    assert_eq!(issuer.token_requests(), 1, "one token for the whole check");
    assert!(table.contains(&format!("token URL {}", issuer.token_url())), "{table}");
    assert!(!table.contains(CLIENT_SECRET), "{table}");

    // A wrong client secret: no token, and premessage and postmessage say so.
    targets.oauth.client_secret = Some("not-the-client-secret".into());
    let report = self_check::run(&targets).await;
    let table = report.render(&targets);
    assert!(report.rows[0].problems[0].starts_with("no OAuth token: the token endpoint answered 400"), "{table}");
    assert!(report.rows[1].problems[0].starts_with("no OAuth token"), "{table}");
    assert!(report.rows[2..].iter().all(|row| row.passed()), "{table}");
}

#[tokio::test]
async fn a_wrong_secret_fails_with_what_to_fix() {
    let served = serve_all().await;
    let targets = targets(served.urls.clone(), "not-the-deployed-secret");
    let report = self_check::run(&targets).await;
    let table = report.render(&targets);
    assert!(!report.passed(), "{table}");
    for row in &report.rows {
        let expect_refused = row.function.takes_signed_jwt();
        assert_eq!(!row.passed(), expect_refused, "{table}");
        if expect_refused {
            assert!(row.problems[0].starts_with("wrong secret"), "{table}");
            assert!(row.auth.ends_with("FAIL"), "{table}");
        }
    }
    assert!(table.contains("self-check: 1 passed, 4 failed"), "{table}");
}

#[tokio::test]
async fn translate_failing_is_said_with_where_to_look() {
    let served = serve_all().await;
    for subject in &served.subjects[..3] {
        subject.translate().set_behaviour(Behaviour::ServerError);
    }
    let targets = targets(served.urls.clone(), SECRET);
    let report = self_check::run(&targets).await;
    let table = report.render(&targets);
    assert!(!report.passed(), "{table}");
    // premessage and postmessage fail open (the turn goes on untranslated); dialog answers 502.
    assert!(report.rows[0].problems[0].contains("did not translate"), "{table}");
    assert!(report.rows[0].problems[0].contains("translate:TranslateText"), "{table}");
    assert!(report.rows[1].problems[0].contains("did not translate"), "{table}");
    assert!(report.rows[2].problems[0].contains("answered 502"), "{table}");
    assert!(report.rows[3].passed() && report.rows[4].passed(), "log and audio need no Translate: {table}");
}

#[tokio::test]
async fn a_missing_function_is_named() {
    let served = serve_all().await;
    let mut urls = served.urls.clone();
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    urls.insert(Function::PostMessage, format!("http://{}/", closed.local_addr().unwrap()));
    drop(closed);
    urls.remove(&Function::Log);
    let targets = targets(urls, SECRET);
    let report = self_check::run(&targets).await;
    let table = report.render(&targets);
    assert!(report.rows[0].passed() && report.rows[2].passed() && report.rows[4].passed(), "{table}");
    assert!(report.rows[1].problems[0].starts_with("function missing"), "{table}");
    assert!(report.rows[3].problems[0].contains("LogWebhookUrl"), "{table}");
    assert!(table.contains("self-check: 3 passed, 2 failed"), "{table}");
}

#[test]
fn stack_outputs_are_read_in_either_shape() {
    let sam = r#"[{"OutputKey": "PreMessageWebhookUrl", "OutputValue": "https://a.lambda-url.us-east-1.on.aws/"}]"#;
    let cfn = format!(r#"{{"Stacks": [{{"Outputs": {sam}}}]}}"#);
    for text in [sam, cfn.as_str()] {
        let outputs = self_check::parse_outputs(text).unwrap();
        assert_eq!(outputs, [("PreMessageWebhookUrl".to_owned(), "https://a.lambda-url.us-east-1.on.aws/".to_owned())]);
    }
    assert!(self_check::parse_outputs("{}").is_err());
}
