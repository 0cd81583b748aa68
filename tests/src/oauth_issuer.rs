//! A local OAuth 2.0 issuer on 127.0.0.1: its JWK set at `/.well-known/jwks.json` and a
//! client-credentials token endpoint at `/oauth2/token` (the paths Amazon Cognito uses), over
//! plain HTTP/1.1 on a tokio listener. Keys are generated in the test (aws-lc-rs, the crypto the
//! functions already link); tokens are signed with jsonwebtoken, as any issuer would sign them.
//!
//! It counts the key-set fetches, can publish another set (a key rotation), and can hang.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_lc_rs::encoding::AsDer;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The scope the webhooks require in these tests, as a Cognito resource server names it.
pub const SCOPE: &str = "webhooks/invoke";
/// The app client's id and secret at the token endpoint.
pub const CLIENT_ID: &str = "test-client-7f3a";
pub const CLIENT_SECRET: &str = "test-client-secret-9b2e-do-not-use";

/// A signing key and its public JWK.
#[derive(Clone)]
pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    pub jwk: Value,
}

impl TestKey {
    /// A fresh RSA 2048 key (RS256).
    pub fn rsa(kid: &str) -> TestKey {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("an RSA key");
        let pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).expect("PKCS#8");
        let public = aws_lc_rs::signature::KeyPair::public_key(&pair);
        let jwk = json!({
            "kty": "RSA", "alg": "RS256",
            "n": b64(public.modulus().big_endian_without_leading_zero()),
            "e": b64(public.exponent().big_endian_without_leading_zero()),
        });
        // jsonwebtoken signs with an RSAPrivateKey (PKCS#1), the last member of the PKCS#8 structure.
        Self::new(kid, Algorithm::RS256, EncodingKey::from_rsa_der(last_octet_string(pkcs8.as_ref())), jwk)
    }

    /// A fresh EC P-256 key (ES256).
    pub fn ec(kid: &str) -> TestKey {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let signing = &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(signing, &rng).expect("an EC key");
        let pair = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(signing, pkcs8.as_ref()).expect("a key pair");
        // The uncompressed point: 0x04, x, y.
        let point = aws_lc_rs::signature::KeyPair::public_key(&pair).as_ref().to_vec();
        let jwk =
            json!({"kty": "EC", "crv": "P-256", "alg": "ES256", "x": b64(&point[1..33]), "y": b64(&point[33..65])});
        Self::new(kid, Algorithm::ES256, EncodingKey::from_ec_der(pkcs8.as_ref()), jwk)
    }

    fn new(kid: &str, alg: Algorithm, encoding: EncodingKey, mut jwk: Value) -> TestKey {
        jwk["kid"] = json!(kid);
        jwk["use"] = json!("sig");
        TestKey { kid: kid.to_owned(), alg, encoding, jwk }
    }

    /// A token over `claims`, with this key's `alg` and `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with(Header { kid: Some(self.kid.clone()), ..Header::new(self.alg) }, claims)
    }

    /// A token with a header of the test's making, signed with this key.
    pub fn sign_with(&self, header: Header, claims: &Value) -> String {
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign")
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The contents of the last OCTET STRING in a DER SEQUENCE (PKCS#8's `privateKey`).
fn last_octet_string(der: &[u8]) -> &[u8] {
    // (header length, content length) of the element at the start of `bytes`.
    let element = |bytes: &[u8]| -> (usize, usize) {
        match bytes[1] {
            short if short < 0x80 => (2, short as usize),
            long => {
                let count = (long & 0x7f) as usize;
                (2 + count, bytes[2..2 + count].iter().fold(0, |length, byte| (length << 8) | *byte as usize))
            }
        }
    };
    let (mut at, _) = element(der);
    let mut last = &der[0..0];
    while at < der.len() {
        let (header, length) = element(&der[at..]);
        if der[at] == 0x04 {
            last = &der[at + header..at + header + length];
        }
        at += header + length;
    }
    last
}

/// The issuer's HTTP endpoint.
pub struct Issuer {
    /// `http://127.0.0.1:<port>`: the issuer (`iss`) and the base of its endpoints.
    pub url: String,
    state: Arc<State>,
}

struct State {
    keys: Mutex<Vec<Value>>,
    /// What the token endpoint signs with.
    signer: Mutex<Option<(TestKey, Value)>>,
    fetches: AtomicUsize,
    token_requests: AtomicUsize,
    hang: AtomicBool,
}

impl Issuer {
    /// Serves `keys` as its JWK set.
    pub async fn start(keys: &[&TestKey]) -> Issuer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(State {
            keys: Mutex::new(keys.iter().map(|key| key.jwk.clone()).collect()),
            signer: Mutex::new(None),
            fetches: AtomicUsize::new(0),
            token_requests: AtomicUsize::new(0),
            hang: AtomicBool::new(false),
        });
        let served = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, served.clone()));
            }
        });
        Issuer { url, state }
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.url)
    }

    pub fn token_url(&self) -> String {
        format!("{}/oauth2/token", self.url)
    }

    /// Publishes another JWK set (raw JWKs: the test may add odd ones).
    pub fn publish(&self, keys: Vec<Value>) {
        *self.state.keys.lock().expect("keys") = keys;
    }

    /// The token endpoint answers `CLIENT_ID`/`CLIENT_SECRET` with a token signed by `key` over
    /// `claims` (a fresh `iat` and `exp` added).
    pub fn issue_with(&self, key: &TestKey, claims: Value) {
        *self.state.signer.lock().expect("signer") = Some((key.clone(), claims));
    }

    /// Accepts connections and never answers.
    pub fn hang(&self) {
        self.state.hang.store(true, Ordering::SeqCst);
    }

    /// How many times the JWK set was fetched.
    pub fn fetches(&self) -> usize {
        self.state.fetches.load(Ordering::SeqCst)
    }

    pub fn token_requests(&self) -> usize {
        self.state.token_requests.load(Ordering::SeqCst)
    }
}

async fn serve(mut stream: TcpStream, state: Arc<State>) {
    let Some((head, body)) = read_request(&mut stream).await else { return };
    if state.hang.load(Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        return;
    }
    let (status, answer) = if head.starts_with("GET /.well-known/jwks.json ") {
        state.fetches.fetch_add(1, Ordering::SeqCst);
        (200, json!({"keys": *state.keys.lock().expect("keys")}))
    } else if head.starts_with("POST /oauth2/token ") {
        state.token_requests.fetch_add(1, Ordering::SeqCst);
        token_answer(&state, &head, &body)
    } else {
        (404, json!({"error": "not_found"}))
    };
    let body = answer.to_string();
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
}

/// Client credentials in a Basic header and `grant_type=client_credentials` in the form, as
/// Cognito's token endpoint takes them.
fn token_answer(state: &State, head: &str, body: &str) -> (u16, Value) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let authorized = head.lines().any(|line| line.eq_ignore_ascii_case(&format!("authorization: Basic {basic}")));
    if !authorized || !body.split('&').any(|pair| pair == "grant_type=client_credentials") {
        return (400, json!({"error": "invalid_client"}));
    }
    let Some((key, claims)) = state.signer.lock().expect("signer").clone() else {
        return (400, json!({"error": "unauthorized_client"}));
    };
    let now = jsonwebtoken::get_current_timestamp();
    let mut claims = claims;
    claims["iat"] = json!(now);
    claims["exp"] = json!(now + 3600);
    (200, json!({"access_token": key.sign(&claims), "token_type": "Bearer", "expires_in": 3600}))
}

/// The request head (up to the blank line) and a body of `content-length` bytes.
async fn read_request(stream: &mut TcpStream) -> Option<(String, String)> {
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        data.extend_from_slice(&chunk[..read]);
        let Some(end) = data.windows(4).position(|window| window == b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&data[..end]).into_owned();
        let length = head
            .lines()
            .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|n| n.trim().to_owned()))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        while data.len() < end + 4 + length {
            let read = stream.read(&mut chunk).await.ok()?;
            if read == 0 {
                return None;
            }
            data.extend_from_slice(&chunk[..read]);
        }
        return Some((head, String::from_utf8_lossy(&data[end + 4..end + 4 + length]).into_owned()));
    }
}
