//! What the self-check sends as credentials: the deployed ones, a wrong one that has nothing to do
//! with them (random bytes, never derived from the real secret), and in `oauth2` mode an access
//! token obtained from the issuer's token endpoint with the client-credentials grant (RFC 6749
//! §4.4, as Amazon Cognito's `/oauth2/token` takes it).

use std::hash::{BuildHasher, Hasher};

use base64::Engine as _;
use serde_json::{Value, json};

/// The OAuth 2.0 client the self-check gets a token with (`--token-url`, `--client-id`,
/// `--client-secret`, `--scope`; the stack outputs `OAuthTokenUrl`, `OAuthClientId`, `OAuthScope`).
#[derive(Debug, Clone, Default)]
pub struct OAuthClient {
    pub token_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scope: Option<String>,
}

/// 32 random bytes as hex, from the operating system's randomness (std's `RandomState` keys):
/// a wrong credential that no one could guess from, or relate to, the deployed one.
pub fn random_secret() -> String {
    (0..4)
        .map(|_| {
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u64(0);
            format!("{:016x}", hasher.finish())
        })
        .collect()
}

/// The credential headers for a mode: with `secret` (for `oauth2`, the access token), or with
/// `None` a wrong credential of the same form.
pub fn credentials(mode: &str, secret: Option<&str>, api_key_header: &str) -> Vec<(String, String)> {
    let wrong = random_secret();
    let value = match (mode, secret) {
        ("none", _) => return Vec::new(),
        ("jwt", _) => format!("Bearer {}", signed_jwt(secret.unwrap_or(&wrong))),
        ("oauth2", Some(token)) => format!("Bearer {token}"),
        // A well-formed token under a random HMAC key: the function must refuse it.
        ("oauth2", None) => format!("Bearer {}", signed_jwt(&wrong)),
        ("basic", _) => {
            let credentials = secret.map_or_else(|| format!("self-check:{wrong}"), str::to_owned);
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials))
        }
        ("bearer", _) => format!("Bearer {}", secret.unwrap_or(&wrong)),
        _ => return vec![(api_key_header.to_ascii_lowercase(), secret.unwrap_or(&wrong).to_owned())],
    };
    vec![("authorization".to_owned(), value)]
}

/// An HS256 token as the assistant signs it, valid for five minutes.
fn signed_jwt(secret: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let claims = json!({"iss": "webhooks-self-check", "iat": now, "exp": now + 300});
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap_or_default()
}

/// The form body of a client-credentials request.
pub fn token_request_body(scope: Option<&str>) -> String {
    let mut body = "grant_type=client_credentials".to_owned();
    if let Some(scope) = scope.filter(|scope| !scope.trim().is_empty()) {
        body.push_str("&scope=");
        body.push_str(&form_encode(scope.trim()));
    }
    body
}

/// `Authorization: Basic base64(client_id:client_secret)` (RFC 6749 §2.3.1).
pub fn client_authorization(client: &OAuthClient) -> Result<String, String> {
    let id = client.client_id.as_deref().ok_or("no OAuth client id: pass --client-id or set OAUTH_CLIENT_ID")?;
    let secret = client
        .client_secret
        .as_deref()
        .ok_or("no OAuth client secret: pass --client-secret or set OAUTH_CLIENT_SECRET")?;
    let pair = format!("{}:{}", form_encode(id), form_encode(secret));
    Ok(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)))
}

/// The token endpoint's answer: its `access_token`, or why there is none (never the body, which
/// may hold a token).
pub fn access_token(status: u16, body: &Value) -> Result<String, String> {
    match body["access_token"].as_str() {
        Some(token) if (200..300).contains(&status) && !token.is_empty() => Ok(token.to_owned()),
        _ => Err(format!(
            "the token endpoint answered {status} ({}): check the client id and secret, that the app client \
             allows the client-credentials grant, and the scope",
            body["error"].as_str().unwrap_or("no access_token")
        )),
    }
}

/// `application/x-www-form-urlencoded`: unreserved characters as they are, a space as `+`,
/// everything else percent-encoded.
fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrong_credential_is_random_and_unrelated() {
        let (a, b) = (random_secret(), random_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        let real = "the-deployed-secret-of-32-bytes-or-more";
        for mode in ["jwt", "basic", "bearer", "api-key", "oauth2"] {
            let wrong = credentials(mode, None, "x-api-key");
            let right = credentials(mode, Some(real), "x-api-key");
            assert_ne!(wrong, right, "{mode}");
            assert!(!format!("{wrong:?}").contains(real), "{mode}");
        }
    }

    #[test]
    fn the_token_request_is_a_client_credentials_form() {
        assert_eq!(
            token_request_body(Some("webhooks/invoke other")),
            "grant_type=client_credentials&scope=webhooks%2Finvoke+other"
        );
        assert_eq!(token_request_body(None), "grant_type=client_credentials");
        let client =
            OAuthClient { client_id: Some("id".into()), client_secret: Some("s:x".into()), ..Default::default() };
        assert_eq!(
            client_authorization(&client).unwrap(),
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("id:s%3Ax"))
        );
        assert!(access_token(400, &json!({"error": "invalid_client"})).unwrap_err().contains("invalid_client"));
        assert_eq!(access_token(200, &json!({"access_token": "t"})).unwrap(), "t");
    }
}
