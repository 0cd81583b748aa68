//! moto's server (AWS services in Python) for the stored-secret tests: SSM Parameter Store and
//! Secrets Manager, reached with the real aws-sdk-ssm client. Installed on first use into
//! `.venv-moto` at the repository root (`python3 -m venv` + `pip install moto[server]`, pinned
//! below; about 30 s once), or taken from `MOTO_SERVER` / `PATH`. One server per test binary on a
//! free loopback port, stopped with the test process (a shell keeps it while its stdin, a pipe
//! from this process, stays open).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The moto release the tests were written against.
pub const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";

pub struct Moto {
    pub endpoint: String,
    python: PathBuf,
    // Kept so that its stdin stays open: the server is stopped when the test process exits.
    _child: Mutex<Child>,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

/// This test binary's moto server, started on first use.
pub fn moto() -> &'static Moto {
    MOTO.get_or_init(|| {
        let (server, python) = installed().unwrap_or_else(|why| panic!("{why}"));
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let watch = r#""$0" -H 127.0.0.1 -p "$1" >/dev/null 2>&1 & server=$!; cat >/dev/null; kill $server"#;
        let child = Command::new("sh")
            .args(["-c", watch, &server.to_string_lossy(), &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("start {}: {error}", server.display()));
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "moto_server did not listen within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { endpoint: format!("http://127.0.0.1:{port}"), python, _child: Mutex::new(child) }
    })
}

impl Moto {
    /// Runs `boto3` code against this server (to seed it: a SecureString, a secret), with `ENDPOINT`
    /// bound to its URL.
    pub fn seed(&self, code: &str) {
        let script = format!(
            "import boto3\nENDPOINT = {:?}\nkw = dict(endpoint_url=ENDPOINT, region_name='us-east-1', \
             aws_access_key_id='test', aws_secret_access_key='test')\n{code}",
            self.endpoint
        );
        let output = Command::new(&self.python).args(["-c", &script]).output().expect("run python");
        assert!(output.status.success(), "seeding moto failed: {}", String::from_utf8_lossy(&output.stderr));
    }
}

/// `moto_server` and the python beside it: `MOTO_SERVER`, `.venv-moto`, or installed there now.
fn installed() -> Result<(PathBuf, PathBuf), String> {
    if let Some(server) = std::env::var_os("MOTO_SERVER").map(PathBuf::from) {
        let python = server.with_file_name("python");
        return Ok((server, python));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(".venv-moto");
    let (server, python) = (venv.join("bin").join("moto_server"), venv.join("bin").join("python"));
    if server.exists() {
        return Ok((server, python));
    }
    let run = |program: &Path, args: &[&str]| {
        Command::new(program).args(args).status().map_err(|error| format!("{}: {error}", program.display()))
    };
    let created = run(Path::new("python3"), &["-m", "venv", venv.to_str().unwrap_or(".venv-moto")])?;
    let installed = run(&venv.join("bin").join("pip"), &["install", "--quiet", MOTO_REQUIREMENT])?;
    if created.success() && installed.success() && server.exists() {
        Ok((server, python))
    } else {
        Err(format!(
            "moto's server is needed for the stored-secret tests and could not be installed: run \
             `python3 -m venv .venv-moto && .venv-moto/bin/pip install '{MOTO_REQUIREMENT}'` (Python 3.9+ with venv), \
             or set MOTO_SERVER to a moto_server binary"
        ))
    }
}
