//! The sealed form of a masked value: AES-256-GCM-SIV (RFC 8452) with a key derived by HKDF-SHA256
//! (RFC 5869) from `MASK_SECRET`, through aws-lc-rs, the library the AWS SDK's TLS and the JWT
//! check already link. Each value gets a fresh random 96-bit nonce (GCM-SIV also stays safe
//! if one ever repeats), and the session id and the token's label are its associated data: a
//! value sealed for `[email A]` in one session opens nowhere else.
//!
//! Sealed text: base64url (no padding) of nonce ‖ ciphertext ‖ tag.

use aws_lc_rs::aead::{AES_256_GCM_SIV, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, Salt};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// HKDF's salt and info: fixed, so one secret always gives one key; a new version of the
/// sealed format changes the info.
const SALT: &[u8] = b"watson-webhooks mask";
const INFO: &[u8] = b"mask personal data v1 aes-256-gcm-siv";

/// The masking key, derived once at cold start. Never printed.
pub struct SealKey {
    key: LessSafeKey,
    random: SystemRandom,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(..)")
    }
}

impl SealKey {
    /// The key for `secret` (at least 32 bytes; the settings check that).
    pub fn derive(secret: &[u8]) -> SealKey {
        let prk = Salt::new(HKDF_SHA256, SALT).extract(secret);
        let okm = prk.expand(&[INFO], &AES_256_GCM_SIV).expect("HKDF-SHA256 gives 32 bytes");
        let key = LessSafeKey::new(UnboundKey::from(okm));
        SealKey { key, random: SystemRandom::new() }
    }

    /// `value` sealed for this session and label; `None` only if the system has no randomness.
    pub fn seal(&self, value: &str, session: &str, label: &str) -> Option<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).ok()?;
        let mut sealed = value.as_bytes().to_vec();
        let aad = associated_data(session, label);
        let nonce_value = Nonce::assume_unique_for_key(nonce);
        self.key.seal_in_place_append_tag(nonce_value, Aad::from(aad.as_bytes()), &mut sealed).ok()?;
        let mut out = nonce.to_vec();
        out.append(&mut sealed);
        Some(URL_SAFE_NO_PAD.encode(out))
    }

    /// The value, if `sealed` is intact and was sealed with this key for this session and label.
    pub fn open(&self, sealed: &str, session: &str, label: &str) -> Option<String> {
        let mut bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let mut ciphertext = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).ok()?;
        let aad = associated_data(session, label);
        let plain = self.key.open_in_place(nonce, Aad::from(aad.as_bytes()), &mut ciphertext).ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

fn associated_data(session: &str, label: &str) -> String {
    format!("{session}\u{0}{label}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn opens_only_with_its_key_session_and_label() {
        let key = SealKey::derive(SECRET);
        let sealed = key.seal("ana@example.com", "s-1", "email A").unwrap();
        assert!(!sealed.contains("ana"), "{sealed}");
        assert_ne!(sealed, key.seal("ana@example.com", "s-1", "email A").unwrap(), "a fresh nonce each time");
        assert_eq!(key.open(&sealed, "s-1", "email A").as_deref(), Some("ana@example.com"));
        assert_eq!(key.open(&sealed, "s-2", "email A"), None, "another session");
        assert_eq!(key.open(&sealed, "s-1", "email B"), None, "another token");
        let other = SealKey::derive(b"another secret of at least 32 bytes!");
        assert_eq!(other.open(&sealed, "s-1", "email A"), None, "another key");
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(key.open(&String::from_utf8(tampered).unwrap(), "s-1", "email A"), None);
        assert_eq!(key.open("short", "s-1", "email A"), None);
        assert_eq!(format!("{key:?}"), "SealKey(..)");
    }
}
