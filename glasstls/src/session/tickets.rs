//! Ticket keys (RFC 5077 §4): rotating AEAD keys that seal session state into tickets.

use crate::error::{Error, InternalError};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use rustls_pki_types::UnixTime;
use std::sync::Mutex;
use std::time::Duration;
use zeroize::Zeroizing;

/// RFC 5077 §4 recommends: `struct { opaque key_name[16]; opaque iv[16]; opaque
/// encrypted_state<0..2^16-1>; opaque mac[32]; } ticket;` We keep the key name and use an AEAD
/// (AES-256-GCM) in place of the CBC+HMAC pair: `key_name[16] ‖ nonce[12] ‖ sealed state ‖ tag`,
/// the key name authenticated as associated data.
pub struct TicketKeys {
    /// A new key is made when the current one is older than this.
    pub rotation: Duration,
    /// Old keys still open tickets for this long after they stop sealing.
    pub accept_old_for: Duration,
    inner: Mutex<KeyRing>,
}

struct TicketKey {
    name: [u8; 16],
    key: LessSafeKey,
    created: u64,
}

#[derive(Default)]
struct KeyRing {
    current: Option<TicketKey>,
    /// Keys that no longer seal, with the time they stopped.
    old: Vec<(TicketKey, u64)>,
}

const KEY_NAME_LEN: usize = 16;
const NONCE_LEN: usize = 12;

impl TicketKeys {
    /// Keys that rotate every `rotation` and keep opening tickets for `accept_old_for` after.
    pub fn new(rotation: Duration, accept_old_for: Duration) -> Self {
        Self {
            rotation,
            accept_old_for,
            inner: Mutex::new(KeyRing::default()),
        }
    }

    fn fresh_key(now: u64) -> Result<TicketKey, Error> {
        let name = crate::crypto::random_bytes::<KEY_NAME_LEN>()?;
        let secret = Zeroizing::new(crate::crypto::random_bytes::<32>()?);
        let key = UnboundKey::new(&AES_256_GCM, &secret[..])
            .map_err(|_| Error::Internal(InternalError::KeyMaterial))?;
        Ok(TicketKey {
            name,
            key: LessSafeKey::new(key),
            created: now,
        })
    }

    /// Seals `state` under the current key, rotating first if it is due.
    pub fn seal(&self, now: UnixTime, state: &[u8]) -> Result<Vec<u8>, Error> {
        let now = now.as_secs();
        let mut ring = self
            .inner
            .lock()
            .map_err(|_| Error::Internal(InternalError::TicketKeys))?;
        let due = ring
            .current
            .as_ref()
            .is_none_or(|k| now >= k.created.saturating_add(self.rotation.as_secs()));
        if due {
            let fresh = Self::fresh_key(now)?;
            if let Some(previous) = ring.current.replace(fresh) {
                ring.old.push((previous, now));
            }
        }
        let horizon = self.accept_old_for.as_secs();
        ring.old
            .retain(|(_, retired)| now < retired.saturating_add(horizon));
        let key = ring
            .current
            .as_ref()
            .ok_or(Error::Internal(InternalError::TicketKeys))?;
        let nonce = crate::crypto::random_bytes::<NONCE_LEN>()?;
        let mut out = Vec::with_capacity(KEY_NAME_LEN + NONCE_LEN + state.len() + 16);
        out.extend_from_slice(&key.name);
        out.extend_from_slice(&nonce);
        let at = out.len();
        out.extend_from_slice(state);
        let body = out
            .get_mut(at..)
            .ok_or(Error::Internal(InternalError::RecordLayout))?;
        let tag = key
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(key.name),
                body,
            )
            .map_err(|_| Error::Internal(InternalError::Encryption))?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Opens a ticket sealed by the current key or a still-accepted old one. `None` for an
    /// unknown key, a tampered ticket, or garbage: all mean "full handshake".
    pub fn unseal(&self, now: UnixTime, ticket: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let now = now.as_secs();
        let ring = self.inner.lock().ok()?;
        let (name, rest) = ticket.split_first_chunk::<KEY_NAME_LEN>()?;
        let (nonce, sealed) = rest.split_first_chunk::<NONCE_LEN>()?;
        let horizon = self.accept_old_for.as_secs();
        let key = ring
            .current
            .iter()
            .chain(
                ring.old
                    .iter()
                    .filter(|(_, retired)| now < retired.saturating_add(horizon))
                    .map(|(k, _)| k),
            )
            .find(|k| crate::crypto::equal_in_constant_time(&k.name, name))?;
        let mut buf = Zeroizing::new(sealed.to_vec());
        let plain = key
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(*nonce),
                Aad::from(*name),
                &mut buf,
            )
            .ok()?;
        Some(Zeroizing::new(plain.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    #[test]
    fn tickets_open_until_their_key_retires_and_refuse_tampering() {
        let keys = TicketKeys::new(Duration::from_secs(100), Duration::from_secs(50));
        let ticket = keys.seal(at(0), b"state").unwrap();
        assert_eq!(keys.unseal(at(10), &ticket).unwrap().as_slice(), b"state");
        let mut tampered = ticket.clone();
        tampered[40] ^= 1;
        assert!(keys.unseal(at(10), &tampered).is_none());
        assert!(keys.unseal(at(10), &ticket[..20]).is_none());
        // Rotation at 100: the old key still opens until 150.
        let newer = keys.seal(at(100), b"newer").unwrap();
        assert_ne!(newer[..16], ticket[..16], "a new key name after rotation");
        assert!(keys.unseal(at(120), &ticket).is_some());
        keys.seal(at(150), b"prune").unwrap();
        assert!(
            keys.unseal(at(150), &ticket).is_none(),
            "retired key no longer accepted"
        );
        assert!(keys.unseal(at(150), &newer).is_some());
        let stranger = TicketKeys::new(Duration::from_secs(100), Duration::from_secs(50));
        stranger.seal(at(0), b"x").unwrap();
        assert!(stranger.unseal(at(1), &ticket).is_none());
    }
}
