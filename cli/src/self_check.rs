//! `webhooks self-check`: what a user runs right after `sam deploy`, or against
//! `tests/scripts/run-local.sh`. It sends signed sample turns to every function (an
//! assistant-language turn, a foreign turn, a rich reply, a dialog `translate` and `detect`, a log
//! event, a caller's recording, and a request with a wrong credential), checks each answer, measures latency over a few
//! turns, prints one table and exactly what to paste where in the assistant, and exits non-zero
//! with what to fix when anything fails. It prints no secret.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::Value;
pub use shared::functions::Function;

mod credentials;
mod http;
mod samples;
pub use credentials::OAuthClient;
use credentials::credentials;
use http::Http;
use samples::{Sample, samples, translation_verdict};

/// Where the functions answer and how to sign for them.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// A deployed stack: its URLs are read from `sam list stack-outputs --stack-name NAME`.
    #[arg(long, conflicts_with_all = ["local", "outputs"])]
    pub stack: Option<String>,
    /// `run-local.sh` on this machine: http://127.0.0.1:9000/lambda-url/<function>/ with its
    /// local secrets, unless given.
    #[arg(long)]
    pub local: bool,
    /// A file holding `sam list stack-outputs --output json` (or CloudFormation's Outputs).
    #[arg(long, conflicts_with = "local")]
    pub outputs: Option<String>,
    /// One function's URL, over what the stack or --local says: `--url premessage=https://…`
    /// (repeat it; the names are the binaries': `shared/functions.json`).
    #[arg(long = "url", value_name = "FUNCTION=URL", value_parser = function_url)]
    pub urls: Vec<(Function, String)>,
    /// The pre-/post-message, log and audio secret (the stack's WebhookSecret).
    #[arg(long, env = "WEBHOOK_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// How premessage and postmessage authenticate (WebhookAuth); the log and audio webhooks always use jwt.
    #[arg(long, default_value = "jwt", value_parser = ["jwt", "basic", "bearer", "api-key", "oauth2", "none"])]
    pub auth: String,
    /// oauth2: the issuer's token endpoint (the stack output OAuthTokenUrl).
    #[arg(long, env = "OAUTH_TOKEN_URL")]
    pub token_url: Option<String>,
    /// oauth2: the app client's id (OAuthClientId).
    #[arg(long, env = "OAUTH_CLIENT_ID")]
    pub client_id: Option<String>,
    /// oauth2: the app client's secret.
    #[arg(long, env = "OAUTH_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// oauth2: the scope to ask for (OAuthScope).
    #[arg(long, env = "OAUTH_SCOPES")]
    pub scope: Option<String>,
    /// The header of api-key mode (WebhookApiKeyHeader).
    #[arg(long, default_value = "x-api-key")]
    pub api_key_header: String,
    /// The dialog function's credentials (DialogWebhookSecret), `user:password` for basic.
    #[arg(long, env = "DIALOG_WEBHOOK_SECRET", hide_env_values = true)]
    pub dialog_secret: Option<String>,
    #[arg(long, default_value = "basic", value_parser = ["basic", "bearer", "api-key", "none"])]
    pub dialog_auth: String,
    /// The assistant's language (AssistantLanguage) and the foreign language to try.
    #[arg(long, default_value = "en")]
    pub assistant_language: String,
    #[arg(long, default_value = "es")]
    pub user_language: String,
    /// Turns per function for the latency figures.
    #[arg(long, default_value_t = 5)]
    pub turns: usize,
    /// The longest a single request may take.
    #[arg(long, default_value_t = 15)]
    pub timeout_seconds: u64,
}

/// What the self-check's log events carry as `customer_id` (and in `log_id`, `assistant_id`,
/// `session_id`), so that analytics can leave them out (cli/README.md says how).
pub const SELF_CHECK_MARKER: &str = "webhooks-self-check";

/// The secrets `run-local.sh` uses when none are set: never for a deployment.
const LOCAL_SECRET: &str = "local-dev-secret-not-for-any-deployment";
const LOCAL_DIALOG_SECRET: &str = "watson:local-dev-secret-not-for-any-deployment";

/// `NAME=URL` for `--url`.
fn function_url(value: &str) -> Result<(Function, String), String> {
    let names = || Function::ALL.map(Function::name).join(", ");
    let (name, url) =
        value.split_once('=').ok_or_else(|| format!("expected FUNCTION=URL, FUNCTION one of {}", names()))?;
    let function =
        Function::from_name(name.trim()).ok_or_else(|| format!("no function `{name}`; one of {}", names()))?;
    Ok((function, url.trim().to_owned()))
}

/// Everything needed to reach and sign for the functions.
#[derive(Debug, Clone)]
pub struct Targets {
    /// The functions to check; one of `Function::ALL` without a URL is reported missing.
    pub urls: BTreeMap<Function, String>,
    pub secret: Option<String>,
    pub auth: String,
    pub api_key_header: String,
    pub dialog_secret: Option<String>,
    pub dialog_auth: String,
    pub assistant_language: String,
    pub user_language: String,
    pub turns: usize,
    pub timeout: Duration,
    /// oauth2: the client the self-check obtains a token with.
    pub oauth: OAuthClient,
    /// `--local`: plain http:// to loopback is expected, not warned about.
    pub local: bool,
}

impl Targets {
    pub fn from_args(args: &Args) -> Result<Targets, String> {
        let mut urls = BTreeMap::new();
        if args.local {
            for function in Function::ALL {
                urls.insert(function, format!("http://127.0.0.1:9000/lambda-url/{function}/"));
            }
        }
        let outputs = match (&args.stack, &args.outputs) {
            (Some(stack), _) => Some(stack_outputs(stack)?),
            (None, Some(path)) => {
                Some(std::fs::read_to_string(path).map_err(|error| format!("--outputs {path}: {error}"))?)
            }
            _ => None,
        };
        let mut oauth = OAuthClient {
            token_url: args.token_url.clone(),
            client_id: args.client_id.clone(),
            client_secret: args.client_secret.clone(),
            scope: args.scope.clone(),
        };
        if let Some(outputs) = outputs {
            let outputs = parse_outputs(&outputs)?;
            let output = |key: &str| outputs.iter().find(|(name, _)| name == key).map(|(_, value)| value.clone());
            for function in Function::ALL {
                if let Some(url) = output(function.stack_output()) {
                    urls.insert(function, url);
                }
            }
            oauth.token_url = oauth.token_url.or_else(|| output("OAuthTokenUrl"));
            oauth.client_id = oauth.client_id.or_else(|| output("OAuthClientId"));
            oauth.scope = oauth.scope.or_else(|| output("OAuthScope"));
        }
        urls.extend(args.urls.iter().cloned());
        if urls.is_empty() {
            return Err(
                "say where the functions are: --stack NAME, --local, --outputs FILE or --url FUNCTION=URL".into()
            );
        }
        let local =
            |value: &Option<String>, fallback: &str| value.clone().or_else(|| args.local.then(|| fallback.to_owned()));
        Ok(Targets {
            urls,
            secret: local(&args.secret, LOCAL_SECRET),
            auth: args.auth.clone(),
            api_key_header: args.api_key_header.clone(),
            dialog_secret: local(&args.dialog_secret, LOCAL_DIALOG_SECRET),
            dialog_auth: args.dialog_auth.clone(),
            assistant_language: args.assistant_language.clone(),
            user_language: args.user_language.clone(),
            turns: args.turns.max(1),
            timeout: Duration::from_secs(args.timeout_seconds.max(1)),
            oauth,
            local: args.local,
        })
    }

    /// A warning for every plain `http://` URL credentials would go to, unless `--local`.
    pub fn warnings(&self) -> Vec<String> {
        if self.local {
            return Vec::new();
        }
        let token_url = self.oauth.token_url.as_deref().filter(|_| self.auth == "oauth2");
        self.urls
            .values()
            .map(String::as_str)
            .chain(token_url)
            .filter(|url| url.get(..7).is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://")))
            .map(|url| format!("warning: {url} is plain http://: the credentials sent there travel unencrypted"))
            .collect()
    }

    fn url(&self, function: Function) -> Option<&str> {
        self.urls.get(&function).map(String::as_str)
    }

    /// How the assistant authenticates to `function` (`shared/functions.json`'s `auth`), as the
    /// options set it: `Secret: …`, or OAuth's client, or `Add authorization: …`.
    fn how_to_authenticate(&self, function: Function) -> String {
        let auth = function.facts().auth;
        let given = |value: &Option<String>| value.clone().unwrap_or_else(|| "(not given)".to_owned());
        match auth_of(function, self, &Ok(None)) {
            Ok(("oauth2", _)) => format!(
                "Authentication: OAuth 2.0, client credentials, token URL {}, client id {}, scope {}, the app client's secret",
                given(&self.oauth.token_url),
                given(&self.oauth.client_id),
                given(&self.oauth.scope)
            ),
            Ok(("jwt", _)) => format!("Secret: {}", auth.secret_parameter),
            Ok((mode, _)) => format!("Add authorization: {mode} with {}", auth.secret_parameter),
            Err(why) => why,
        }
    }
}

/// `sam list stack-outputs`, the SAM CLI the user deployed with.
fn stack_outputs(stack: &str) -> Result<String, String> {
    let output = std::process::Command::new("sam")
        .args(["list", "stack-outputs", "--stack-name", stack, "--output", "json"])
        .output()
        .map_err(|error| format!("could not run `sam list stack-outputs` ({error}); pass --outputs or the URLs"))?;
    if !output.status.success() {
        return Err(format!(
            "`sam list stack-outputs --stack-name {stack}` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `[{"OutputKey": …, "OutputValue": …}]`, bare or inside CloudFormation's `Stacks[0].Outputs`.
pub fn parse_outputs(text: &str) -> Result<Vec<(String, String)>, String> {
    let value: Value = serde_json::from_str(text).map_err(|error| format!("stack outputs are not JSON: {error}"))?;
    let list = value.pointer("/Stacks/0/Outputs").unwrap_or(&value);
    let list = list.as_array().ok_or("stack outputs: expected a list of OutputKey/OutputValue")?;
    Ok(list
        .iter()
        .filter_map(|o| Some((o["OutputKey"].as_str()?.to_owned(), o["OutputValue"].as_str()?.to_owned())))
        .collect())
}

/// One function's line of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub function: Function,
    pub auth: String,
    pub translation: String,
    pub p50: Option<Duration>,
    pub p95: Option<Duration>,
    /// What to fix; empty when the function passed.
    pub problems: Vec<String>,
}

impl Row {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub rows: Vec<Row>,
    /// Said before the table (plain http:// outside `--local`).
    pub warnings: Vec<String>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.rows.iter().all(Row::passed)
    }

    pub fn render(&self, targets: &Targets) -> String {
        let mut out = String::new();
        for warning in &self.warnings {
            let _ = writeln!(out, "{warning}");
        }
        let ms = |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{:.1} ms", d.as_secs_f64() * 1000.0));
        let _ =
            writeln!(out, "{:<12} {:<10} {:<34} {:>8} {:>8}  verdict", "function", "auth", "translation", "p50", "p95");
        for row in &self.rows {
            let verdict = if row.passed() { "PASS" } else { "FAIL" };
            let _ = writeln!(
                out,
                "{:<12} {:<10} {:<34} {:>8} {:>8}  {verdict}",
                row.function.name(),
                row.auth,
                row.translation,
                ms(row.p50),
                ms(row.p95)
            );
        }
        for row in self.rows.iter().filter(|row| !row.passed()) {
            for problem in &row.problems {
                let _ = writeln!(out, "\n{}: {problem}", row.function.name());
            }
        }
        let _ =
            writeln!(out, "\nWhat to paste where in watsonx Assistant (the secrets are the ones you deployed with):");
        for function in Function::ALL {
            let url = targets.url(function).unwrap_or("(not given)");
            let auth = targets.how_to_authenticate(function);
            let _ = writeln!(out, "- {}: URL {url}, {auth}", function.facts().paste_where);
        }
        let _ = writeln!(
            out,
            "\nself-check: {} passed, {} failed",
            self.rows.iter().filter(|r| r.passed()).count(),
            self.rows.iter().filter(|r| !r.passed()).count()
        );
        out
    }
}

pub async fn main(args: Args) -> ExitCode {
    let targets = match Targets::from_args(&args) {
        Ok(targets) => targets,
        Err(error) => {
            eprintln!("self-check: {error}");
            return ExitCode::from(2);
        }
    };
    let report = run(&targets).await;
    print!("{}", report.render(&targets));
    if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Checks every function that has a URL; a function without one is reported missing.
pub async fn run(targets: &Targets) -> Report {
    let client = match Http::new(targets.timeout) {
        Ok(client) => client,
        Err(error) => {
            let problems = vec![error];
            let rows = Function::ALL
                .map(|function| Row {
                    function,
                    auth: "-".into(),
                    translation: "-".into(),
                    p50: None,
                    p95: None,
                    problems: problems.clone(),
                })
                .to_vec();
            return Report { rows, warnings: targets.warnings() };
        }
    };
    let credential = webhook_credential(&client, targets).await;
    let mut rows = Vec::new();
    for function in Function::ALL {
        let row = match targets.url(function) {
            None => Row {
                function,
                auth: "-".into(),
                translation: "-".into(),
                p50: None,
                p95: None,
                problems: vec![format!(
                    "no URL: the stack has no {} output, or pass --url {function}=URL",
                    function.stack_output()
                )],
            },
            Some(url) => check_function(&client, targets, function, url, &credential).await,
        };
        rows.push(row);
    }
    Report { rows, warnings: targets.warnings() }
}

/// What premessage and postmessage get: the secret, or in `oauth2` mode a token from the issuer
/// (or why there is none).
async fn webhook_credential(client: &Http, targets: &Targets) -> Result<Option<String>, String> {
    if targets.auth != "oauth2" {
        return Ok(targets.secret.clone());
    }
    let oauth = &targets.oauth;
    let url = oauth.token_url.as_deref().ok_or("no OAuth token URL: pass --token-url or set OAUTH_TOKEN_URL")?;
    let headers = [
        ("authorization".to_owned(), credentials::client_authorization(oauth)?),
        ("content-type".to_owned(), "application/x-www-form-urlencoded".to_owned()),
    ];
    let body = credentials::token_request_body(oauth.scope.as_deref());
    let answer = client.send(url, &headers, body).await.map_err(|failure| failure.explain(url, targets.timeout))?;
    credentials::access_token(answer.status, &answer.body).map(Some)
}

fn percentile(times: &mut [Duration], p: f64) -> Option<Duration> {
    if times.is_empty() {
        return None;
    }
    times.sort();
    let index = ((times.len() as f64 - 1.0) * p).round() as usize;
    Some(times[index.min(times.len() - 1)])
}

async fn check_function(
    client: &Http,
    targets: &Targets,
    function: Function,
    url: &str,
    credential: &Result<Option<String>, String>,
) -> Row {
    let mut row =
        Row { function, auth: "-".into(), translation: "-".into(), p50: None, p95: None, problems: Vec::new() };
    let (mode, secret) = match auth_of(function, targets, credential) {
        Ok(auth) => auth,
        Err(problem) => {
            row.auth = format!("{}: FAIL", targets.auth);
            row.problems.push(problem);
            return row;
        }
    };
    row.auth = mode.to_owned();
    let good = credentials(mode, secret, &targets.api_key_header);
    if mode != "none" && secret.is_none() {
        let (option, variable) = secret_option(function.facts().auth.secret_parameter);
        row.problems.push(format!("no secret given: pass {option} or set {variable}"));
        return row;
    }
    let (plain, foreign) = samples(function, targets);

    let (mut times, last) = match timed_turns(client, targets, function, url, &good, &plain).await {
        Ok(found) => found,
        Err(TurnsFailed::WrongSecret(problem)) => {
            row.auth = format!("{mode}: FAIL");
            row.problems.push(problem);
            return row;
        }
        Err(TurnsFailed::Problem(problem)) => {
            row.problems.push(problem);
            return row;
        }
    };
    row.problems.extend(answer_problem(function, targets, &last));
    row.p50 = percentile(&mut times, 0.5);
    row.p95 = percentile(&mut times, 0.95);
    row.auth = format!("{mode}: ok");

    if mode == "none" {
        row.auth = "none (open!)".into();
    } else {
        let bad = credentials(mode, None, &targets.api_key_header);
        check_refusal(client, targets, url, &bad, &plain, &mut row).await;
    }
    match foreign {
        Some(foreign) => check_translation(client, targets, url, (&good, &foreign), &mut row).await,
        None if matches!(function, Function::Log | Function::Audio) => row.translation = "stored".into(),
        None => {}
    }
    row
}

/// Why the timed turns stopped: the credentials were refused, or anything else.
enum TurnsFailed {
    WrongSecret(String),
    Problem(String),
}

/// Latency, and whether the credentials are accepted, over a few assistant-language turns: the
/// times of the answers and the last answer's body.
async fn timed_turns(
    client: &Http,
    targets: &Targets,
    function: Function,
    url: &str,
    good: &[(String, String)],
    plain: &Sample,
) -> Result<(Vec<Duration>, Value), TurnsFailed> {
    let mut times = Vec::new();
    let mut last = Value::Null;
    for _ in 0..targets.turns {
        // A new log event or recording each time (each is stored under its own id).
        let body = if function.facts().translates { plain.clone() } else { samples(function, targets).0 };
        match body.post(client, url, good).await {
            Ok(answer) if (200..300).contains(&answer.status) => {
                times.push(answer.took);
                last = answer.body;
            }
            Ok(answer) if answer.status == 401 || answer.status == 403 => {
                return Err(TurnsFailed::WrongSecret(format!(
                    "wrong secret: the function refused the credentials ({}); the secret you pass must be the one \
                     deployed ({}), and the assistant's webhook must use the same",
                    answer.status,
                    function.facts().auth.secret_parameter
                )));
            }
            Ok(answer) => {
                return Err(TurnsFailed::Problem(format!(
                    "answered {} to a valid request ({}); read the function's CloudWatch log",
                    answer.status,
                    answer.body.pointer("/error/code").and_then(Value::as_str).unwrap_or("no error code")
                )));
            }
            Err(failure) => return Err(TurnsFailed::Problem(failure.explain(url, targets.timeout))),
        }
    }
    Ok((times, last))
}

/// What the last assistant-language answer must show beyond its status.
fn answer_problem(function: Function, targets: &Targets, last: &Value) -> Option<String> {
    match function {
        Function::Dialog if last["language"].as_str() != Some(targets.user_language.as_str()) => {
            Some(format!("dialog detect answered {} for a {} message", last["language"], targets.user_language))
        }
        Function::Audio if last.pointer("/stored/audio").and_then(Value::as_str).is_none() => {
            Some(format!("audio answered without naming the stored recording: {last}"))
        }
        _ => None,
    }
}

/// The function's auth mode and credential: dialog's own, the log webhook's Signed JWT, or the
/// webhooks' secret or OAuth token.
fn auth_of<'t>(
    function: Function,
    targets: &'t Targets,
    credential: &'t Result<Option<String>, String>,
) -> Result<(&'t str, Option<&'t str>), String> {
    // The stack parameters of `shared/functions.json` that choose the mode and hold the secret.
    let auth = function.facts().auth;
    match (auth.mode_parameter, auth.secret_parameter) {
        // A fixed mode (the log webhook always signs a JWT with the webhook's secret).
        (None, "WebhookSecret") => Ok((auth.mode, targets.secret.as_deref())),
        (Some("DialogWebhookAuth"), "DialogWebhookSecret") => {
            Ok((targets.dialog_auth.as_str(), targets.dialog_secret.as_deref()))
        }
        (Some("WebhookAuth"), "WebhookSecret") => match credential {
            Ok(credential) => Ok((targets.auth.as_str(), credential.as_deref())),
            Err(why) => Err(format!("no OAuth token: {why}")),
        },
        (mode, secret) => Err(format!("self-check has no options for {} and {secret}", mode.unwrap_or("a fixed mode"))),
    }
}

/// The option and variable that give the secret a stack parameter holds.
fn secret_option(parameter: &str) -> (&'static str, &'static str) {
    match parameter {
        "DialogWebhookSecret" => ("--dialog-secret", "DIALOG_WEBHOOK_SECRET"),
        _ => ("--secret", "WEBHOOK_SECRET"),
    }
}

/// A wrong credential must be refused.
async fn check_refusal(
    client: &Http,
    targets: &Targets,
    url: &str,
    bad: &[(String, String)],
    body: &Sample,
    row: &mut Row,
) {
    match body.post(client, url, bad).await {
        Ok(answer) if answer.status == 401 => {}
        Ok(answer) => row.problems.push(format!(
            "a wrong credential got {} instead of 401: check the function's WEBHOOK_AUTH",
            answer.status
        )),
        Err(failure) => row.problems.push(failure.explain(url, targets.timeout)),
    }
}

/// Translation, where the function translates: `request` is the credentials and the body.
async fn check_translation(
    client: &Http,
    targets: &Targets,
    url: &str,
    (good, foreign): (&[(String, String)], &Value),
    row: &mut Row,
) {
    match client.post(url, good, foreign).await {
        Ok(answer) if answer.status == 200 => match translation_verdict(row.function, targets, &answer.body) {
            Ok(summary) => row.translation = summary,
            Err(problem) => {
                row.translation = "FAIL".into();
                row.problems.push(problem);
            }
        },
        Ok(answer) => row.problems.push(format!("the translation check answered {}", answer.status)),
        Err(failure) => row.problems.push(failure.explain(url, targets.timeout)),
    }
}

/// The assistant-language body and the translating one, per function.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_options_name_a_function_of_the_list() {
        assert_eq!(function_url("dialog=https://d.example/"), Ok((Function::Dialog, "https://d.example/".into())));
        let error = function_url("audit=https://a.example/").unwrap_err();
        assert!(error.contains("no function `audit`") && error.contains("premessage, postmessage"), "{error}");
        assert!(function_url("https://a.example/").unwrap_err().starts_with("expected FUNCTION=URL"));
    }

    #[test]
    fn each_function_signs_with_its_stack_parameters() {
        #[derive(clap::Parser)]
        struct Command {
            #[command(flatten)]
            args: Args,
        }
        let line = ["self-check", "--local", "--auth", "bearer", "--secret", "s", "--dialog-secret", "u:p"];
        let Command { args } = clap::Parser::try_parse_from(line).expect("arguments");
        let targets = Targets::from_args(&args).expect("targets");
        assert_eq!(targets.urls.len(), Function::ALL.len());
        let credential = Ok(targets.secret.clone());
        assert_eq!(auth_of(Function::PreMessage, &targets, &credential), Ok(("bearer", Some("s"))));
        assert_eq!(auth_of(Function::Dialog, &targets, &credential), Ok(("basic", Some("u:p"))));
        // The log webhook's mode is fixed: always a Signed JWT.
        assert_eq!(auth_of(Function::Log, &targets, &credential), Ok(("jwt", Some("s"))));
        assert_eq!(targets.how_to_authenticate(Function::Log), "Secret: WebhookSecret");
        assert_eq!(targets.how_to_authenticate(Function::Dialog), "Add authorization: basic with DialogWebhookSecret");
    }
}
