//! Sealing with a key derived from an API key's secret, which the database never holds (only
//! its hash): what is sealed cannot be read from the database or a backup, only by whoever
//! holds that API key. ChaCha20-Poly1305; each sealed value is bound to a label (`bound_to`)
//! and opens for no other.

use hmac::{Hmac, KeyInit, Mac};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::Sha256;

/// First byte of a sealed value; the nonce, the ciphertext and its tag follow.
pub const SEALED: u8 = 1;

/// HMAC-SHA256 of what it seals (`purpose`) under the API key's secret.
#[derive(Clone)]
pub struct SealingKey([u8; 32]);

impl SealingKey {
    pub fn of(api_key: &str, purpose: &str) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(api_key.as_bytes()).expect("HMAC takes a key of any length");
        mac.update(purpose.as_bytes());
        SealingKey(mac.finalize().into_bytes().into())
    }

    fn cipher(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &self.0).expect("a 32-byte key"))
    }

    /// `plain` sealed, bound to `bound_to`.
    pub fn seal(&self, bound_to: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the system has randomness");
        let mut sealed = plain.to_vec();
        let nonce_for = Nonce::assume_unique_for_key(nonce);
        self.cipher().seal_in_place_append_tag(nonce_for, Aad::from(bound_to), &mut sealed).expect("any length");
        [&[SEALED][..], &nonce, &sealed].concat()
    }

    /// What was sealed bound to `bound_to`; None if it was not sealed with this key for it.
    pub fn open(&self, bound_to: &str, stored: &[u8]) -> Option<Vec<u8>> {
        let (&SEALED, rest) = stored.split_first()? else { return None };
        let (nonce, sealed) = rest.split_at_checked(NONCE_LEN)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut opened = sealed.to_vec();
        let plain = self.cipher().open_in_place(nonce, Aad::from(bound_to), &mut opened).ok()?;
        Some(plain.to_vec())
    }
}
