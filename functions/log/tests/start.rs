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

/// A Lambda Runtime API on loopback that hands out one invocation (`event`), takes its response,
/// and then keeps the next `/next` waiting. Returns its address and the response body posted.
fn runtime_api(event: String) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let address = listener.local_addr().unwrap().to_string();
    let (posted, responses) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut handed_out = false;
        for connection in listener.incoming() {
            let Ok(mut connection) = connection else { return };
            let mut reader = BufReader::new(connection.try_clone().unwrap());
            // One connection, kept alive: request after request.
            loop {
                let mut head = Vec::new();
                let mut line = String::new();
                while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) && line != "\r\n" {
                    head.push(std::mem::take(&mut line));
                }
                let Some(request_line) = head.first().cloned() else { break };
                let length = head
                    .iter()
                    .find_map(|h| h.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let answer = if request_line.starts_with("GET") && request_line.contains("/invocation/next") {
                    if handed_out {
                        std::thread::sleep(std::time::Duration::from_secs(60));
                        return;
                    }
                    handed_out = true;
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: req-trace-1\r\n\
                         lambda-runtime-deadline-ms: 9999999999999\r\n\
                         lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:log\r\n\
                         lambda-runtime-trace-id: Root=1-00000000-000000000000000000000000\r\n\
                         content-length: {}\r\n\r\n{event}",
                        event.len()
                    )
                } else {
                    let _ = posted.send(String::from_utf8_lossy(&body).into_owned());
                    "HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}".to_owned()
                };
                if connection.write_all(answer.as_bytes()).is_err() {
                    break;
                }
            }
        }
    });
    (address, responses)
}

/// TRACE asked for in every way Lambda offers, and the runtime's "raw JSON event received from
/// Lambda" line (the whole request: credentials and the user's text) is still not written, while
/// the function's own lines are.
#[test]
fn trace_asked_for_yet_the_runtime_never_logs_the_event() {
    const USER_TEXT: &str = "my-card-is-4111-trace-test";
    const CREDENTIAL: &str = "Bearer credential-trace-test";
    let mut event: Value =
        serde_json::from_str(include_str!("../../../tests/data/function-url-post-event.json")).unwrap();
    event["headers"]["authorization"] = Value::String(CREDENTIAL.to_owned());
    event["body"] = Value::String(
        serde_json::json!({"event": {"name": "message_logged"}, "payload": {"log_id": "trace-test",
            "request_timestamp": "2025-06-01T10:00:00Z", "request": {"input": {"text": USER_TEXT}}}})
        .to_string(),
    );
    let (address, responses) = runtime_api(event.to_string());
    let log_dir = std::env::temp_dir().join(format!("log-trace-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_log"))
        .env_clear()
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_LOG_LEVEL", "TRACE")
        .env("RUST_LOG", "trace,lambda_runtime=trace,lambda_http=trace")
        .env("AWS_LAMBDA_RUNTIME_API", &address)
        .env("AWS_LAMBDA_FUNCTION_NAME", "log")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("WEBHOOK_AUTH", "none")
        .env("LOG_DIR", &log_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the log binary runs");
    let response = responses.recv_timeout(std::time::Duration::from_secs(60));
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&log_dir);
    let written = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let response: Value = serde_json::from_str(&response.expect("the function answered")).unwrap();
    assert_eq!(response["statusCode"], 201, "{response}");

    // The level asked for took effect: the runtime's own DEBUG lines are there.
    assert!(written.contains("\"level\":\"DEBUG\""), "{written}");
    assert!(written.contains("log event stored"), "{written}");
    for leaked in ["raw JSON event received from Lambda", USER_TEXT, "credential-trace-test"] {
        assert!(!written.contains(leaked), "`{leaked}` was logged: {written}");
    }
}
