//! What a resumed handshake needs (RFC 5246 §7.3, RFC 5077, RFC 8446 §2.2): the [`Session`]
//! and its encoding, the [`SessionStore`] trait with a bounded in-memory LRU, and
//! [`TicketKeys`], the rotating AEAD keys that seal session state into tickets.
//!
//! Stores hold encoded bytes, not live objects, so the same trait serves a server's session-ID
//! cache, a client's per-server-name cache, and stores that live elsewhere (a shared cache for a
//! fleet). Expiry is judged by the handshake, which is given the time; stores only bound memory.

mod store;
mod tickets;

pub use store::{MemoryStore, SessionStore};
pub use tickets::{TicketKeySecret, TicketKeys};

use crate::crypto::{MasterSecret, Secret};
use crate::version::Version;
use crate::wire::codec::{LengthPrefix, Reader, put_prefixed, put_vec};
use crate::wire::{
    CipherSuite, Codec, InvalidMessage, NamedGroup, ProtocolVersion, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, UnixTime};
use std::time::Duration;
use zeroize::Zeroizing;

/// RFC 5246 Appendix F.1.4: "an upper limit of 24 hours is suggested for session ID lifetimes".
pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// How a handshake was resumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resumption {
    /// RFC 5246 §7.3: the server found the session ID in its store.
    SessionId,
    /// RFC 5077 / RFC 8446 §4.6.1: the server opened a ticket it had issued.
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

/// A resumable session: what both versions keep, and the secrets of its own version.
#[derive(Clone, Debug)]
pub struct Session {
    pub(crate) cipher_suite: CipherSuite,
    /// Seconds since the Unix epoch when the full handshake completed.
    pub(crate) created: u64,
    pub(crate) lifetime: Duration,
    /// The ticket the server issued (client side; empty when there is none).
    pub(crate) ticket: Vec<u8>,
    /// The SNI name of the full handshake; a session is never resumed under another.
    pub(crate) server_name: Option<String>,
    pub(crate) alpn_protocol: Option<Vec<u8>>,
    /// The peer's chain as verified in the full handshake: the server's (client side), the
    /// client's when it sent one (server side, mutual TLS).
    pub(crate) peer_certificates: Vec<CertificateDer<'static>>,
    /// The full handshake's key-exchange group (TLS 1.2 resumption reports it again; a TLS 1.3
    /// resumption makes a new exchange).
    pub(crate) group: Option<NamedGroup>,
    /// The scheme the peer signed the full handshake with (the server's on a client, the
    /// client's CertificateVerify on a server), reported again when the session is resumed,
    /// as the chain is.
    pub(crate) signature_scheme: Option<SignatureScheme>,
    pub(crate) secrets: SessionSecrets,
}

/// What resumes a session, by version.
#[derive(Clone, Debug)]
pub(crate) enum SessionSecrets {
    /// RFC 5246 §7.3: the master secret, which resumption reuses with new randoms.
    Tls12 {
        master_secret: MasterSecret,
        /// RFC 7627 §5.3: a session is resumed only in the state it was made in.
        extended_master_secret: bool,
        /// The server's session ID (may be empty when only a ticket exists).
        session_id: Vec<u8>,
    },
    /// RFC 8446 §4.6.1: the resumption PSK, the value that hides the ticket's age, and (client
    /// side) when the ticket arrived, in milliseconds since the Unix epoch, for the age the
    /// client reports (§4.2.11.1).
    Tls13 {
        psk: Secret,
        age_add: u32,
        received_ms: u64,
    },
}

/// The encoding's own version: sessions saved by an older glasstls do not decode.
const FORMAT_VERSION: u8 = 4;

impl Session {
    /// The protocol version the session was made with (and resumes with).
    pub fn version(&self) -> Version {
        match self.secrets {
            SessionSecrets::Tls12 { .. } => Version::Tls12,
            SessionSecrets::Tls13 { .. } => Version::Tls13,
        }
    }

    /// The cipher suite of the full handshake.
    pub fn cipher_suite(&self) -> CipherSuite {
        self.cipher_suite
    }

    /// The server name it was made for (none when the client sent none).
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// The ALPN protocol negotiated in the full handshake.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.alpn_protocol.as_deref()
    }

    /// When the full handshake completed, in seconds since the Unix epoch: resuming never
    /// extends a session's life.
    pub fn created(&self) -> u64 {
        self.created
    }

    /// How long after `created` the session may be resumed.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// The ticket the server issued, if any (opaque to the client).
    pub fn ticket(&self) -> &[u8] {
        &self.ticket
    }

    /// The server's certificate chain as verified in the full handshake (client side).
    pub fn peer_certificates(&self) -> &[CertificateDer<'static>] {
        &self.peer_certificates
    }

    /// RFC 6066 §3 and RFC 8446 §4.6.1: a session resumes only under the name it was made for
    /// (compared without case; no name matches only no name).
    pub fn is_for_server_name(&self, name: Option<&str>) -> bool {
        match (self.server_name.as_deref(), name) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            _ => false,
        }
    }

    /// Whether its lifetime is over at `now`.
    pub fn is_expired(&self, now: UnixTime) -> bool {
        now.as_secs() >= self.created.saturating_add(self.lifetime.as_secs())
    }

    /// The TLS 1.2 session ID the server gave (empty: none, or a TLS 1.3 session).
    pub fn session_id(&self) -> &[u8] {
        match &self.secrets {
            SessionSecrets::Tls12 { session_id, .. } => session_id,
            SessionSecrets::Tls13 { .. } => &[],
        }
    }

    /// The session's bytes, for a store or a file. They hold its secret.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        // Sized exactly: growing would copy the buffer (a resumed handshake encodes one
        // session per new ticket) and leave the old copy, secret and all, unzeroized.
        let len = self.encoded_len();
        let mut out = Zeroizing::new(Vec::with_capacity(len));
        out.push(FORMAT_VERSION);
        self.version().wire().encode(&mut out);
        self.cipher_suite.encode(&mut out);
        out.extend_from_slice(&self.created.to_be_bytes());
        out.extend_from_slice(
            &(self.lifetime.as_secs().min(u64::from(u32::MAX)) as u32).to_be_bytes(),
        );
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
        // 0 stands for none: no group or scheme has that code point.
        out.extend_from_slice(&self.group.map_or(0, |g| g.0).to_be_bytes());
        out.extend_from_slice(&self.signature_scheme.map_or(0, |s| s.0).to_be_bytes());
        match &self.secrets {
            SessionSecrets::Tls12 {
                master_secret,
                extended_master_secret,
                session_id,
            } => {
                out.extend_from_slice(master_secret.as_bytes());
                out.push(u8::from(*extended_master_secret));
                put_vec(&mut out, LengthPrefix::U8, session_id);
            }
            SessionSecrets::Tls13 {
                psk,
                age_add,
                received_ms,
            } => {
                put_vec(&mut out, LengthPrefix::U8, psk);
                out.extend_from_slice(&age_add.to_be_bytes());
                out.extend_from_slice(&received_ms.to_be_bytes());
            }
        }
        debug_assert_eq!(out.len(), len, "Session::encoded_len");
        out
    }

    /// How many bytes `encode` writes.
    fn encoded_len(&self) -> usize {
        let fixed = 1 + 2 + 2 + 8 + 4 + 2 + 2 + 1 + 3 + 2 + 2;
        let certs: usize = self
            .peer_certificates
            .iter()
            .map(|c| 3 + c.as_ref().len())
            .sum();
        let secrets = match &self.secrets {
            SessionSecrets::Tls12 {
                master_secret,
                session_id,
                ..
            } => master_secret.as_bytes().len() + 1 + 1 + session_id.len(),
            SessionSecrets::Tls13 { psk, .. } => 1 + psk.len() + 4 + 8,
        };
        fixed
            + self.ticket.len()
            + self.server_name.as_deref().map_or(0, str::len)
            + self.alpn_protocol.as_deref().map_or(0, <[u8]>::len)
            + certs
            + secrets
    }

    /// A session from `encode`'s bytes; anything else is refused.
    pub fn decode(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        if r.u8("session format")? != FORMAT_VERSION {
            return Err(InvalidMessage::IllegalValue("session format"));
        }
        let version = Version::from_wire(ProtocolVersion::read(&mut r)?)
            .ok_or(InvalidMessage::IllegalValue("session version"))?;
        let cipher_suite = CipherSuite::read(&mut r)?;
        let created = u64::from_be_bytes(r.array("created")?);
        let lifetime = Duration::from_secs(u64::from(r.u32("lifetime")?));
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
        let group = Some(NamedGroup(r.u16("group")?)).filter(|g| g.0 != 0);
        let signature_scheme =
            Some(SignatureScheme(r.u16("signature scheme")?)).filter(|s| s.0 != 0);
        let secrets = match version {
            Version::Tls12 => SessionSecrets::Tls12 {
                master_secret: MasterSecret::from_bytes(r.array("master secret")?),
                extended_master_secret: match r.u8("ems flag")? {
                    0 => false,
                    1 => true,
                    _ => return Err(InvalidMessage::IllegalValue("ems flag")),
                },
                session_id: r.vec(LengthPrefix::U8, "session id")?,
            },
            Version::Tls13 => {
                let psk = Zeroizing::new(r.vec(LengthPrefix::U8, "psk")?);
                // A PSK is as long as its suite's hash, never longer than a `Secret` holds
                // (which would cut it short; found by the codec fuzz target).
                if psk.len() > crate::crypto::MAX_SECRET {
                    return Err(InvalidMessage::IllegalValue("psk"));
                }
                SessionSecrets::Tls13 {
                    psk: Secret::new(&psk),
                    age_add: r.u32("age_add")?,
                    received_ms: u64::from_be_bytes(r.array("received")?),
                }
            }
        };
        r.expect_empty("session")?;
        Ok(Self {
            cipher_suite,
            created,
            lifetime,
            ticket,
            server_name,
            alpn_protocol: (!alpn.is_empty()).then_some(alpn),
            peer_certificates,
            group,
            signature_scheme,
            secrets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session whose PSK is longer than any hash is refused, not cut short (the codec fuzz
    /// target's crash-4a8da53e: it re-encoded to other bytes).
    #[test]
    fn a_psk_longer_than_any_hash_is_refused() {
        let [_, tls13] = samples();
        let mut bytes = tls13.encode();
        let SessionSecrets::Tls13 { psk, .. } = &tls13.secrets else {
            panic!("a TLS 1.3 sample");
        };
        // The PSK's length byte sits 13 bytes before the end (age_add 4, received 8).
        let at = bytes.len() - 12 - psk.len() - 1;
        assert_eq!(usize::from(bytes[at]), psk.len());
        let longer = vec![7u8; crate::crypto::MAX_SECRET + 1];
        bytes.splice(
            at..at + 1 + psk.len(),
            [&[longer.len() as u8][..], &longer].concat(),
        );
        assert_eq!(
            Session::decode(&bytes).err(),
            Some(InvalidMessage::IllegalValue("psk"))
        );
    }

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    fn samples() -> [Session; 2] {
        let common = |secrets| Session {
            cipher_suite: CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            created: 1000,
            lifetime: Duration::from_secs(60),
            ticket: vec![2; 100],
            server_name: Some("a.test".into()),
            alpn_protocol: Some(b"h2".to_vec()),
            peer_certificates: vec![CertificateDer::from(vec![3u8; 10])],
            group: Some(NamedGroup::X25519),
            signature_scheme: Some(SignatureScheme::ecdsa_secp256r1_sha256),
            secrets,
        };
        [
            common(SessionSecrets::Tls12 {
                master_secret: MasterSecret::from_bytes([9; 48]),
                extended_master_secret: true,
                session_id: vec![1; 32],
            }),
            common(SessionSecrets::Tls13 {
                received_ms: 1_700_000_000_123,
                psk: Secret::new(&[4; 32]),
                age_add: 77,
            }),
        ]
    }

    #[test]
    fn sessions_of_both_versions_round_trip_and_reject_every_truncation() {
        for (session, version) in samples().into_iter().zip([Version::Tls12, Version::Tls13]) {
            let bytes = session.encode();
            let back = Session::decode(&bytes).unwrap();
            assert_eq!(back.version(), version);
            assert_eq!(back.encode(), bytes);
            for cut in 0..bytes.len() {
                assert!(Session::decode(&bytes[..cut]).is_err());
            }
        }
    }

    #[test]
    fn a_session_of_a_version_we_do_not_speak_is_refused() {
        let mut bytes = samples()[0].encode().to_vec();
        bytes[1..3].copy_from_slice(&[3, 1]);
        assert_eq!(
            Session::decode(&bytes).unwrap_err(),
            InvalidMessage::IllegalValue("session version")
        );
    }

    #[test]
    fn sessions_expire_at_the_end_of_their_lifetime() {
        let [s, _] = samples();
        assert!(!s.is_expired(at(1059)));
        assert!(s.is_expired(at(1060)));
    }
}
