//! What a resumed handshake needs (RFC 5246 §7.3, RFC 5077): the [`Session`] and its
//! encoding, the [`SessionStore`] trait with a bounded in-memory LRU, and [`TicketKeys`], the
//! rotating AEAD keys that seal session state into tickets.
//!
//! Stores hold encoded bytes, not live objects, so the same trait serves a server's session-ID
//! cache, a client's per-server-name cache, and stores that live elsewhere (a shared cache for a
//! fleet). Expiry is judged by the handshake, which is given the time; stores only bound memory.

use crate::error::Error;
use crate::keys::MasterSecret;
use crate::wire::codec::{LengthPrefix, Reader, put_prefixed, put_vec};
use crate::wire::{CipherSuite, Codec, InvalidMessage, ProtocolVersion};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use rustls_pki_types::{CertificateDer, UnixTime};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;
use zeroize::Zeroizing;

/// RFC 5246 Appendix F.1.4: "an upper limit of 24 hours is suggested for session ID lifetimes".
pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// How a handshake was resumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resumption {
    /// RFC 5246 §7.3: the server found the session ID in its store.
    SessionId,
    /// RFC 5077: the server opened a ticket it had issued.
    Ticket,
}

impl std::fmt::Display for Resumption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::SessionId => "session id",
            Self::Ticket => "ticket",
        })
    }
}

/// A resumable session.
#[derive(Clone, Debug)]
pub struct Session {
    pub version: ProtocolVersion,
    pub cipher_suite: CipherSuite,
    pub master_secret: MasterSecret,
    pub extended_master_secret: bool,
    /// Seconds since the Unix epoch when the full handshake completed.
    pub created: u64,
    pub lifetime: Duration,
    /// The server's session ID (may be empty when only a ticket exists).
    pub session_id: Vec<u8>,
    /// The ticket the server issued (client side only; empty otherwise).
    pub ticket: Vec<u8>,
    /// The SNI name of the full handshake; a session is never resumed under another.
    pub server_name: Option<String>,
    pub alpn_protocol: Option<Vec<u8>>,
    /// The server's chain as verified in the full handshake (client side).
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// TLS 1.3: the resumption PSK (RFC 8446 §4.6.1); empty for TLS 1.2 sessions.
    pub psk: Vec<u8>,
    /// TLS 1.3: ticket_age_add, which hides the ticket's age on the wire (client side).
    pub age_add: u32,
}

const FORMAT_VERSION: u8 = 2;

impl Session {
    /// RFC 6066 §3 and RFC 8446 §4.6.1: a session resumes only under the name it was made for
    /// (compared without case; no name matches only no name).
    pub fn is_for_server_name(&self, name: Option<&str>) -> bool {
        match (self.server_name.as_deref(), name) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            _ => false,
        }
    }

    pub fn is_expired(&self, now: UnixTime) -> bool {
        now.as_secs() >= self.created.saturating_add(self.lifetime.as_secs())
    }

    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(128));
        out.push(FORMAT_VERSION);
        self.version.encode(&mut out);
        self.cipher_suite.encode(&mut out);
        out.extend_from_slice(self.master_secret.as_bytes());
        out.push(u8::from(self.extended_master_secret));
        out.extend_from_slice(&self.created.to_be_bytes());
        out.extend_from_slice(
            &(self.lifetime.as_secs().min(u64::from(u32::MAX)) as u32).to_be_bytes(),
        );
        put_vec(&mut out, LengthPrefix::U8, &self.session_id);
        put_vec(&mut out, LengthPrefix::U16, &self.ticket);
        put_vec(
            &mut out,
            LengthPrefix::U16,
            self.server_name.as_deref().unwrap_or_default().as_bytes(),
        );
        put_vec(
            &mut out,
            LengthPrefix::U8,
            self.alpn_protocol.as_deref().unwrap_or_default(),
        );
        put_prefixed(&mut out, LengthPrefix::U24, |out| {
            for cert in &self.peer_certificates {
                put_vec(out, LengthPrefix::U24, cert.as_ref());
            }
        });
        put_vec(&mut out, LengthPrefix::U8, &self.psk);
        out.extend_from_slice(&self.age_add.to_be_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        if r.u8("session format")? != FORMAT_VERSION {
            return Err(InvalidMessage::IllegalValue("session format"));
        }
        let version = ProtocolVersion::read(&mut r)?;
        let cipher_suite = CipherSuite::read(&mut r)?;
        let master_secret = MasterSecret::from_bytes(r.array("master secret")?);
        let extended_master_secret = match r.u8("ems flag")? {
            0 => false,
            1 => true,
            _ => return Err(InvalidMessage::IllegalValue("ems flag")),
        };
        let created = u64::from_be_bytes(r.array("created")?);
        let lifetime = Duration::from_secs(u64::from(r.u32("lifetime")?));
        let session_id = r.vec(LengthPrefix::U8, "session id")?;
        let ticket = r.vec(LengthPrefix::U16, "ticket")?;
        let name = r.vec(LengthPrefix::U16, "server name")?;
        let server_name = match name.is_empty() {
            true => None,
            false => Some(
                String::from_utf8(name).map_err(|_| InvalidMessage::IllegalValue("server name"))?,
            ),
        };
        let alpn = r.vec(LengthPrefix::U8, "alpn")?;
        let mut list = r.sub(LengthPrefix::U24, "certificates")?;
        let mut peer_certificates = Vec::new();
        while !list.is_empty() {
            peer_certificates.push(CertificateDer::from(
                list.vec(LengthPrefix::U24, "certificate")?,
            ));
        }
        let psk = r.vec(LengthPrefix::U8, "psk")?;
        let age_add = r.u32("age_add")?;
        r.expect_empty("session")?;
        Ok(Self {
            version,
            cipher_suite,
            master_secret,
            extended_master_secret,
            created,
            lifetime,
            session_id,
            ticket,
            server_name,
            alpn_protocol: (!alpn.is_empty()).then_some(alpn),
            peer_certificates,
            psk,
            age_add,
        })
    }
}

/// Where sessions are kept: a server's session-ID cache, or a client's cache by server name.
/// Implementations must be safe to share between threads and must bound their memory.
pub trait SessionStore: Send + Sync {
    /// Stores `value` under `key`; returns whether it was kept.
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool;
    /// The value under `key`, leaving it in place.
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
    /// The value under `key`, removing it.
    fn take(&self, key: &[u8]) -> Option<Vec<u8>>;
    /// How many entries are held.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A least-recently-used map with a fixed number of entries. Values are zeroized when evicted.
pub struct MemoryStore {
    capacity: usize,
    inner: Mutex<Lru>,
}

#[derive(Default)]
struct Lru {
    entries: HashMap<Vec<u8>, (Zeroizing<Vec<u8>>, u64)>,
    order: BTreeMap<u64, Vec<u8>>,
    clock: u64,
}

impl MemoryStore {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Lru::default()),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

impl Lru {
    fn touch(&mut self, key: &[u8]) {
        self.clock += 1;
        let clock = self.clock;
        if let Some((_, stamp)) = self.entries.get_mut(key) {
            self.order.remove(stamp);
            *stamp = clock;
            self.order.insert(clock, key.to_vec());
        }
    }
}

impl SessionStore for MemoryStore {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        let Ok(mut lru) = self.inner.lock() else {
            return false;
        };
        if let Some((_, stamp)) = lru.entries.remove(&key) {
            lru.order.remove(&stamp);
        }
        while lru.entries.len() >= self.capacity {
            let Some((_, oldest)) = lru.order.pop_first() else {
                break;
            };
            lru.entries.remove(&oldest);
        }
        lru.clock += 1;
        let clock = lru.clock;
        lru.order.insert(clock, key.clone());
        lru.entries.insert(key, (Zeroizing::new(value), clock));
        true
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let mut lru = self.inner.lock().ok()?;
        let value = lru.entries.get(key)?.0.to_vec();
        lru.touch(key);
        Some(value)
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        let mut lru = self.inner.lock().ok()?;
        let (value, stamp) = lru.entries.remove(key)?;
        lru.order.remove(&stamp);
        Some(value.to_vec())
    }

    fn len(&self) -> usize {
        self.inner.lock().map(|l| l.entries.len()).unwrap_or(0)
    }
}

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
            .map_err(|_| Error::Internal("ticket key"))?;
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
            .map_err(|_| Error::Internal("ticket keys poisoned"))?;
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
            .ok_or(Error::Internal("no ticket key"))?;
        let nonce = crate::crypto::random_bytes::<NONCE_LEN>()?;
        let mut out = Vec::with_capacity(KEY_NAME_LEN + NONCE_LEN + state.len() + 16);
        out.extend_from_slice(&key.name);
        out.extend_from_slice(&nonce);
        let at = out.len();
        out.extend_from_slice(state);
        let body = out.get_mut(at..).ok_or(Error::Internal("ticket body"))?;
        let tag = key
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(key.name),
                body,
            )
            .map_err(|_| Error::Internal("ticket sealing failed"))?;
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
            .find(|k| aws_lc_rs::constant_time::verify_slices_are_equal(&k.name, name).is_ok())?;
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

    fn sample() -> Session {
        Session {
            version: ProtocolVersion::TLSv1_2,
            cipher_suite: CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            master_secret: MasterSecret::from_bytes([9; 48]),
            extended_master_secret: true,
            created: 1000,
            lifetime: Duration::from_secs(60),
            session_id: vec![1; 32],
            ticket: vec![2; 100],
            server_name: Some("a.test".into()),
            alpn_protocol: Some(b"h2".to_vec()),
            peer_certificates: vec![CertificateDer::from(vec![3u8; 10])],
            psk: vec![4; 32],
            age_add: 77,
        }
    }

    #[test]
    fn session_round_trips_and_rejects_every_truncation() {
        let bytes = sample().encode();
        let back = Session::decode(&bytes).unwrap();
        assert_eq!(back.encode(), bytes);
        for cut in 0..bytes.len() {
            assert!(Session::decode(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn sessions_expire_at_the_end_of_their_lifetime() {
        let s = sample();
        assert!(!s.is_expired(at(1059)));
        assert!(s.is_expired(at(1060)));
    }

    #[test]
    fn memory_store_evicts_the_least_recently_used_and_stays_bounded() {
        let store = MemoryStore::new(3);
        for k in 0..3u8 {
            store.put(vec![k], vec![k]);
        }
        assert_eq!(store.get(&[0]), Some(vec![0])); // 0 is now the most recent
        store.put(vec![3], vec![3]);
        assert_eq!(store.get(&[1]), None, "1 was least recently used");
        assert!(
            store.get(&[0]).is_some() && store.get(&[2]).is_some() && store.get(&[3]).is_some()
        );
        for k in 0..10_000u32 {
            store.put(k.to_be_bytes().to_vec(), vec![0; 64]);
        }
        assert_eq!(store.len(), 3);
        assert_eq!(store.take(&9_999u32.to_be_bytes()), Some(vec![0; 64]));
        assert_eq!(store.len(), 2);
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
