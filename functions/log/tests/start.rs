//! The log function's cold start as Lambda runs it: the real binary and its environment. It reads
//! the edge's settings and its own, nothing a translating function reads.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runs the `log` binary with `variables` until it has said what it had to say at start (it then
/// fails to reach the Lambda runtime API, which is not there, and exits). Its log lines, as JSON.
fn cold_start(variables: &[(&str, &str)]) -> Vec<Value> {
    let log_dir = std::env::temp_dir().join(format!("log-start-{}", std::process::id()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_log"));
    command
        .env_clear()
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("LOG_DIR", &log_dir)
        // Nothing listens there: past its start the runtime has nowhere to ask for events.
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:1")
        .envs(variables.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("the log binary runs");
    let stdout = child.stdout.take().expect("its stdout");
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let Ok(line) = serde_json::from_str::<Value>(&line) else { continue };
        let done = line["fields"]["message"] == "log store";
        lines.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

fn messages(lines: &[Value]) -> Vec<String> {
    lines.iter().map(|line| line["fields"]["message"].as_str().unwrap_or_default().to_owned()).collect()
}

#[test]
fn a_bad_voice_models_does_not_stop_the_log_function_from_starting() {
    // A value the pre- and post-message webhooks refuse, naming VOICE_MODELS.
    let voice_models = "es=es ES";
    let refused = shared::config::voice_models(&[("VOICE_MODELS", voice_models)][..].into()).unwrap_err();
    assert!(refused.to_string().starts_with("VOICE_MODELS is invalid"), "{refused}");

    let lines =
        cold_start(&[("WEBHOOK_SECRET", "s3cret-for-the-start-test-of-32-bytes"), ("VOICE_MODELS", voice_models)]);
    let messages = messages(&lines);
    assert!(messages.contains(&"started".to_owned()), "{messages:?}");
    assert!(messages.contains(&"log store".to_owned()), "{messages:?}");
    assert!(lines.iter().all(|line| line["level"] != "ERROR"), "{lines:?}");
}

#[test]
fn a_bad_edge_setting_stops_it_naming_the_variable() {
    let lines = cold_start(&[("WEBHOOK_SECRET", "s3cret-for-the-start-test-of-32-bytes"), ("MAX_BODY_BYTES", "1k")]);
    let messages = messages(&lines);
    assert!(!messages.contains(&"log store".to_owned()), "{messages:?}");
    let error = lines
        .iter()
        .find(|line| line["fields"]["message"] == "log: configuration error")
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(error["fields"]["error"].as_str().unwrap().starts_with("MAX_BODY_BYTES is invalid"), "{error}");
    assert!(!format!("{lines:?}").contains("s3cret-for-the-start-test-of-32-bytes"), "no secret in a log line");
}

#[test]
fn a_short_secret_stops_it_naming_the_variable() {
    let lines = cold_start(&[("WEBHOOK_SECRET", "thirty-one-bytes-of-secret-0000")]);
    let messages = messages(&lines);
    assert!(!messages.contains(&"started".to_owned()), "{messages:?}");
    let error = lines
        .iter()
        .find(|line| line["fields"]["message"] == "log: configuration error")
        .unwrap_or_else(|| panic!("{lines:?}"));
    let text = error["fields"]["error"].as_str().unwrap();
    assert!(text.starts_with("WEBHOOK_SECRET is invalid: the secret must be at least 32 bytes"), "{error}");
    assert!(!format!("{lines:?}").contains("thirty-one-bytes-of-secret"), "no secret in a log line");
}
