//! Ticket keys (RFC 5077 §4): rotating AEAD keys that seal session state into tickets, made
//! here or shared by a fleet of servers ([`TicketKeySecret`], [`TicketKeys::install`]).

use crate::error::{Error, InternalError};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use rustls_pki_types::UnixTime;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zeroize::Zeroizing;

/// RFC 5077 §4 recommends: `struct { opaque key_name[16]; opaque iv[16]; opaque
/// encrypted_state<0..2^16-1>; opaque mac[32]; } ticket;` We keep the key name and use an AEAD
/// (AES-256-GCM) in place of the CBC+HMAC pair: `key_name[16] ‖ nonce[12] ‖ sealed state ‖ tag`,
/// the key name authenticated as associated data.
pub struct TicketKeys {
    /// A new key is made when the current one is older than this (`Duration::MAX`: only
    /// when there is none, for keys a fleet installs, [`TicketKeys::install`]).
    pub rotation: Duration,
    /// Old keys still open tickets for this long after they stop sealing.
    pub accept_old_for: Duration,
    inner: Arc<Mutex<KeyRing>>,
}

struct TicketKey {
    name: [u8; 16],
    key: LessSafeKey,
    created: u64,
}

/// One ticket key as a fleet shares it: its name (the first 16 bytes of every ticket it
/// seals), its AES-256-GCM key, when it was made, and when it stopped sealing (`None` for
/// the key that seals now). Zeroized when dropped; its `Debug` shows the name only.
#[derive(Clone, PartialEq, Eq)]
pub struct TicketKeySecret {
    /// The key name.
    pub name: [u8; KEY_NAME_LEN],
    secret: Zeroizing<[u8; 32]>,
    /// Made at, in seconds since the Unix epoch.
    pub created: u64,
    /// Stopped sealing at (seconds since the Unix epoch); `None` while it is the current key.
    pub retired: Option<u64>,
}

impl std::fmt::Debug for TicketKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketKeySecret")
            .field("name", &hex(&self.name))
            .field("created", &self.created)
            .field("retired", &self.retired)
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The encoding of a key ring: a version byte, then per key `name[16] ‖ secret[32] ‖
/// created u64 ‖ retired u64` (0: current), big-endian.
const RING_VERSION: u8 = 1;
const RING_ENTRY: usize = KEY_NAME_LEN + 32 + 8 + 8;
/// More keys than any sane rotation keeps (one per interval within the window).
const MAX_RING: usize = 64;

impl TicketKeySecret {
    /// A fresh random key, current from `now`.
    pub fn generate(now: UnixTime) -> Result<Self, Error> {
        Ok(Self {
            name: crate::crypto::random_bytes::<KEY_NAME_LEN>()?,
            secret: Zeroizing::new(crate::crypto::random_bytes::<32>()?),
            created: now.as_secs(),
            retired: None,
        })
    }

    /// The ring after a rotation at `now`: a new current key, the previous current one
    /// retired at `now`, and the keys retired `accept_old_for` or longer ago dropped.
    pub fn rotate(
        ring: &[TicketKeySecret],
        now: UnixTime,
        accept_old_for: Duration,
    ) -> Result<Vec<Self>, Error> {
        let at = now.as_secs();
        let mut next = vec![Self::generate(now)?];
        for key in ring {
            let retired = key.retired.unwrap_or(at);
            if at < retired.saturating_add(accept_old_for.as_secs()) && next.len() < MAX_RING {
                next.push(Self {
                    retired: Some(retired),
                    ..key.clone()
                });
            }
        }
        Ok(next)
    }

    /// The current key of a ring: the newest one not retired.
    pub fn current(ring: &[TicketKeySecret]) -> Option<&Self> {
        ring.iter()
            .filter(|k| k.retired.is_none())
            .max_by_key(|k| k.created)
    }

    /// A ring's bytes, for a shared store. They hold the keys themselves: keep them where
    /// only the fleet reads.
    pub fn encode_ring(ring: &[TicketKeySecret]) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(1 + ring.len() * RING_ENTRY));
        out.push(RING_VERSION);
        for key in ring.iter().take(MAX_RING) {
            out.extend_from_slice(&key.name);
            out.extend_from_slice(&key.secret[..]);
            out.extend_from_slice(&key.created.to_be_bytes());
            out.extend_from_slice(&key.retired.unwrap_or(0).to_be_bytes());
        }
        out
    }

    /// A ring from [`TicketKeySecret::encode_ring`]'s bytes; `None` when they are not one.
    pub fn decode_ring(bytes: &[u8]) -> Option<Vec<Self>> {
        let (&version, entries) = bytes.split_first()?;
        if version != RING_VERSION
            || entries.len() % RING_ENTRY != 0
            || entries.len() / RING_ENTRY > MAX_RING
        {
            return None;
        }
        entries
            .chunks_exact(RING_ENTRY)
            .map(|entry| {
                let (name, rest) = entry.split_first_chunk::<KEY_NAME_LEN>()?;
                let (secret, rest) = rest.split_first_chunk::<32>()?;
                let (created, rest) = rest.split_first_chunk::<8>()?;
                let retired = u64::from_be_bytes(*rest.first_chunk::<8>()?);
                Some(Self {
                    name: *name,
                    secret: Zeroizing::new(*secret),
                    created: u64::from_be_bytes(*created),
                    retired: (retired != 0).then_some(retired),
                })
            })
            .collect()
    }

    fn to_key(&self) -> Result<TicketKey, Error> {
        let key = UnboundKey::new(&AES_256_GCM, &self.secret[..])
            .map_err(|_| Error::Internal(InternalError::KeyMaterial))?;
        Ok(TicketKey {
            name: self.name,
            key: LessSafeKey::new(key),
            created: self.created,
        })
    }
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
            inner: Arc::new(Mutex::new(KeyRing::default())),
        }
    }

    /// The same keys (shared: what one seals the other opens, a rotation in one is seen by
    /// both) under other settings, for a server that reloads its configuration.
    pub fn reconfigured(&self, rotation: Duration, accept_old_for: Duration) -> Self {
        Self {
            rotation,
            accept_old_for,
            inner: Arc::clone(&self.inner),
        }
    }

    /// Replaces the keys with a ring a fleet shares ([`TicketKeySecret::rotate`]): its
    /// current key seals from now on, its retired ones open tickets until `accept_old_for`
    /// after they retired. A ring with no current key changes nothing.
    pub fn install(&self, ring: &[TicketKeySecret]) -> Result<(), Error> {
        let Some(current) = TicketKeySecret::current(ring) else {
            return Ok(());
        };
        let current = current.to_key()?;
        let mut old = Vec::new();
        for key in ring {
            if let Some(retired) = key.retired {
                old.push((key.to_key()?, retired));
            }
        }
        let mut ring = self
            .inner
            .lock()
            .map_err(|_| Error::Internal(InternalError::TicketKeys))?;
        ring.current = Some(current);
        ring.old = old;
        Ok(())
    }

    /// The name of the key that seals now and when it was made (seconds since the Unix
    /// epoch), if there is one yet: for a ticket-key-age metric (never the key itself).
    pub fn current_key(&self) -> Option<([u8; KEY_NAME_LEN], u64)> {
        let ring = self.inner.lock().ok()?;
        ring.current.as_ref().map(|k| (k.name, k.created))
    }

    fn fresh_key(now: u64) -> Result<TicketKey, Error> {
        TicketKeySecret::generate(UnixTime::since_unix_epoch(Duration::from_secs(now)))?.to_key()
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

    #[test]
    fn a_shared_ring_seals_on_every_node_alike_and_rotates_within_its_window() {
        let window = Duration::from_secs(50);
        let ring = TicketKeySecret::rotate(&[], at(0), window).unwrap();
        let bytes = TicketKeySecret::encode_ring(&ring);
        let back = TicketKeySecret::decode_ring(&bytes).unwrap();
        assert_eq!(back, ring);
        assert!(!format!("{:?}", back[0]).contains(&hex(&back[0].secret[..])));
        // Two nodes that install the same ring open each other's tickets; neither rotates
        // by itself.
        let (a, b) = (
            TicketKeys::new(Duration::MAX, window),
            TicketKeys::new(Duration::MAX, window),
        );
        a.install(&ring).unwrap();
        b.install(&back).unwrap();
        let ticket = a.seal(at(1_000_000), b"state").unwrap();
        assert_eq!(b.unseal(at(10), &ticket).unwrap().as_slice(), b"state");
        // Rotated at 100: the old key opens until 150, the new one seals.
        let next = TicketKeySecret::rotate(&ring, at(100), window).unwrap();
        assert_eq!(next.len(), 2);
        assert_eq!(TicketKeySecret::current(&next).unwrap().created, 100);
        b.install(&next).unwrap();
        assert!(b.unseal(at(149), &ticket).is_some());
        assert!(b.unseal(at(150), &ticket).is_none());
        assert_eq!(b.current_key().unwrap().1, 100);
        // Rotated again past the window: the first key is gone from the ring.
        let last = TicketKeySecret::rotate(&next, at(200), window).unwrap();
        assert_eq!(last.len(), 2, "{last:?}");
        assert!(last.iter().all(|k| k.name != ring[0].name));
        // Garbage is not a ring.
        assert!(TicketKeySecret::decode_ring(&bytes[..bytes.len() - 1]).is_none());
        assert!(TicketKeySecret::decode_ring(&[2]).is_none());
        assert!(TicketKeySecret::decode_ring(&[]).is_none());
    }
}
