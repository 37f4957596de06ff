//! What each fuzz target checks, shared by the cargo-fuzz targets (`fuzz_targets/*.rs`) and
//! by `glasstls/tests/fuzz_seeds.rs`, which replays the committed seeds in the ordinary test
//! suite. Every function must hold for every input: a panic is a bug.

#![allow(dead_code)] // each fuzz target uses one of these

use glasstls::ech::{EchKey, EchMode};
use glasstls::internal::record::{Deframer, INPUT_BUFFER_LIMIT, MAX_CIPHERTEXT, RecordCipher};
use glasstls::internal::wire::{Codec, EcdheServerKeyExchange, HandshakeMessage, HandshakePayload};
use glasstls::pki_types::PrivateKeyDer;
use glasstls::session::{Session, TicketKeys};
use glasstls::{ClientConfig, Connection, Identity, RootStore, ServerConfig, UnixTime};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A fixed clock, so that a run depends on its input alone.
pub fn now() -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(1_800_000_000))
}

/// The random streams of the fuzz build (`glasstls::internal::crypto::fuzzing`): configurations are built
/// after `CONFIG_STREAM`, the server target's connection runs on `SERVER_STREAM` and the client
/// target's on `CLIENT_STREAM`, here and in the seed generator (`seeds.rs`), so that a seed
/// recorded from a real handshake replays the same way under the fuzzer: the peer's encrypted
/// records decrypt and the handshake completes. Outside a fuzz build these do nothing.
pub const CONFIG_STREAM: u64 = 0;
pub const SERVER_STREAM: u64 = 1;
pub const CLIENT_STREAM: u64 = 2;

pub fn reset_randomness(stream: u64) {
    #[cfg(fuzzing)]
    glasstls::internal::crypto::fuzzing::reset(stream);
    let _ = stream;
}

/// Every handshake message decoder (TLS 1.2 and TLS 1.3 shapes), the server key exchange and
/// the session encoding: whatever decodes re-encodes to the very same bytes.
pub fn codec(data: &[u8]) {
    if let Ok(msg) = HandshakeMessage::from_bytes(data) {
        same_bytes(&msg, data);
    }
    if let Ok(msg) = HandshakeMessage::from_bytes_tls13(data) {
        same_bytes(&msg, data);
    }
    if let Ok(ske) = EcdheServerKeyExchange::from_bytes(data) {
        assert_eq!(ske.to_bytes().as_slice(), data);
    }
    if let Ok(session) = Session::decode(data) {
        assert_eq!(session.encode().as_slice(), data);
    }
}

/// `msg`, decoded from `data`, encodes to `data` again. One equivalence is allowed: RFC 5246
/// §7.4.1.2 lets a TLS 1.2 hello end after its compression methods ("the presence of
/// extensions can be detected by determining whether there are bytes following"), so a hello
/// with an empty extension block and one with none are the same message, and we encode it
/// without. (Transcripts hash the bytes received, never a re-encoding, so this cannot change
/// a Finished.)
fn same_bytes(msg: &HandshakeMessage, data: &[u8]) {
    let encoded = msg.to_bytes();
    if encoded.as_slice() == data {
        return;
    }
    let no_extensions = match &msg.payload {
        HandshakePayload::ClientHello(h) => h.extensions.is_empty(),
        HandshakePayload::ServerHello(h) => h.extensions.is_empty(),
        _ => false,
    };
    let mut with_empty_block = encoded.clone();
    with_empty_block.extend_from_slice(&[0, 0]);
    let body = (with_empty_block.len() - 4) as u32;
    with_empty_block[1..4].copy_from_slice(&body.to_be_bytes()[1..]);
    assert!(
        no_extensions && with_empty_block.as_slice() == data,
        "{msg:?} re-encodes to {encoded:?}"
    );
}

/// The record deframer fed in chunks whose sizes come from the input: it never holds more
/// than its limit, and every record it yields fits the record size limits. Each payload is
/// also handed to a record cipher, which must refuse it without panicking.
pub fn deframer(data: &[u8]) {
    let Some((&shape, mut rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(shape & 0x7f) * 64 + 1;
    let encrypted = shape & 0x80 != 0;
    let mut cipher = RecordCipher::new(
        glasstls::Version::Tls13,
        glasstls::internal::crypto::Aead::Aes128Gcm,
        &[7; 16],
        &[9; 12],
    )
    .expect("a valid key");
    let mut deframer = Deframer::default();
    loop {
        let offered = &rest[..rest.len().min(chunk)];
        let taken = deframer.read(offered);
        rest = &rest[taken..];
        assert!(deframer.buffered() <= INPUT_BUFFER_LIMIT);
        let mut progress = taken > 0;
        loop {
            match deframer.next_record(encrypted) {
                Ok(Some(rec)) => {
                    progress = true;
                    assert!(rec.len <= MAX_CIPHERTEXT);
                    let typ = rec.typ;
                    let payload = deframer.payload_mut(&rec);
                    assert_eq!(payload.len(), rec.len);
                    assert!(cipher.open(typ, payload).is_err(), "a forged record opened");
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        if rest.is_empty() || !progress {
            return;
        }
    }
}

/// Tickets: a sealed state opens to itself under the same keys, any change to the ticket
/// makes it refused, and arbitrary bytes are refused.
pub fn ticket(data: &[u8]) {
    let keys = TicketKeys::new(Duration::from_secs(3600), Duration::from_secs(3600));
    assert!(keys.unseal(now(), data).is_none());
    let sealed = keys.seal(now(), data).expect("sealing works");
    assert_eq!(
        keys.unseal(now(), &sealed).as_deref().map(Vec::as_slice),
        Some(data)
    );
    let at = data.first().map_or(0, |&b| usize::from(b)) % sealed.len();
    let mut tampered = sealed.clone();
    tampered[at] ^= 1 << (data.len() % 8);
    assert!(keys.unseal(now(), &tampered).is_none());
    assert!(keys.unseal(now(), &sealed[..sealed.len() - 1]).is_none());
}

/// Feeds `data` to `conn` as a peer would, until it fails or takes no more: a record at a time
/// while the handshake runs, then all the rest at once, so that what follows the handshake
/// meets an empty deframer and whole application-data records are opened straight from the
/// input, several in a row (`Connection::read_tls`'s direct path), with any tail staged.
fn drive(conn: &mut Connection, data: &[u8]) {
    let mut rest = data;
    while !rest.is_empty() {
        let piece = match rest {
            [_, _, _, hi, lo, ..] if conn.is_handshaking() => {
                (5 + usize::from(u16::from_be_bytes([*hi, *lo]))).min(rest.len())
            }
            _ => rest.len(),
        };
        let n = conn.read_tls(&rest[..piece]);
        rest = &rest[n..];
        if conn.process_new_packets(now()).is_err() || n == 0 {
            break;
        }
        // What the state machine holds stays bounded whatever the peer sends: 64 KiB and at
        // most one record (2^14 + 2048 bytes) past it.
        assert!(conn.plaintext_available() <= 64 * 1024 + 16 * 1024 + 2048);
    }
    let _ = conn.take_outgoing();
}

/// The fuzz server's certificates: Ed25519 and RSA, from committed test keys (`fuzz/keys/`,
/// used nowhere else), so that the server's Certificate is the same in every run and its
/// signatures (Ed25519, and RSA PKCS #1 v1.5 in TLS 1.2) are deterministic.
fn identities() -> &'static (Vec<Identity>, RootStore) {
    static IDENTITIES: OnceLock<(Vec<Identity>, RootStore)> = OnceLock::new();
    IDENTITIES.get_or_init(|| {
        let mut roots = RootStore::empty();
        let mut identities = Vec::new();
        for pem in [
            include_str!("keys/ed25519.pem"),
            include_str!("keys/rsa2048.pem"),
        ] {
            let key = rcgen::KeyPair::from_pem(pem).unwrap();
            let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
            let cert = params.self_signed(&key).unwrap();
            roots.add(cert.der()).unwrap();
            let key_der = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
            identities.push(Identity::new(vec![cert.der().clone()], &key_der).unwrap());
        }
        (identities, roots)
    })
}

/// A fresh server configuration (an empty session store, and ticket keys from
/// `CONFIG_STREAM`), so that no input depends on the ones before it.
pub fn server_config() -> Arc<ServerConfig> {
    let identities = identities().0.clone();
    reset_randomness(CONFIG_STREAM);
    let mut config = ServerConfig::new(identities);
    config.common.rsa_key_exchange = true;
    config.ech_keys = vec![ech_key()];
    Arc::new(config)
}

/// The fuzz server's Encrypted Client Hello key, derived from a fixed seed (used nowhere else);
/// its public name is the server's only name, so that a rejected offer authenticates too.
fn ech_key() -> Arc<EchKey> {
    static KEY: OnceLock<Arc<EchKey>> = OnceLock::new();
    Arc::clone(KEY.get_or_init(|| {
        Arc::new(EchKey::from_seed("localhost", 7, b"the glasstls fuzz targets' ECH key").unwrap())
    }))
}

/// The client configurations the client target chooses from with its first byte. The first
/// four offer only X25519 and deterministic signature schemes, so that their seeds replay to
/// the end of the handshake and beyond; the last offers everything (the X25519MLKEM768 share
/// first, every suite, the RSA key exchange), whose seeds stop where aws-lc's own randomness
/// enters (the ML-KEM key).
/// "ech" is "tls13" with an Encrypted Client Hello offer to the fuzz server's key (the others
/// send none, but for "everything", which sends GREASE ECH as the default does).
pub const CLIENT_FLAVOURS: [&str; 6] = [
    "tls13",
    "tls12-ecdhe-eddsa",
    "tls12-ecdhe-rsa",
    "tls12-rsa-kx",
    "everything",
    "ech",
];

pub fn client_config(flavour: usize) -> Arc<ClientConfig> {
    use glasstls::{CipherSuite, NamedGroup, SignatureScheme};
    let mut config = ClientConfig::new(identities().1.clone());
    let name = CLIENT_FLAVOURS[flavour % CLIENT_FLAVOURS.len()];
    if name == "everything" {
        config.common.rsa_key_exchange = true;
        return Arc::new(config);
    }
    config.ech = match name {
        "ech" => EchMode::Offer(vec![ech_key().config.clone()]),
        _ => EchMode::Off,
    };
    config.common.groups = vec![NamedGroup::X25519];
    config.signature_schemes = vec![SignatureScheme::ed25519, SignatureScheme::rsa_pkcs1_sha256];
    if !matches!(name, "tls13" | "ech") {
        config.common.versions = vec![glasstls::Version::Tls12];
    }
    let suite = match name {
        "tls12-ecdhe-rsa" => Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        "tls12-rsa-kx" => Some("TLS_RSA_WITH_AES_256_GCM_SHA384"),
        _ => None,
    };
    if let Some(suite) = suite {
        config.common.cipher_suites = vec![CipherSuite::from_name(suite).unwrap()];
        config.common.rsa_key_exchange = true;
    }
    Arc::new(config)
}

/// The server state machine driven by arbitrary client bytes; returns the connection so that
/// the seed generator can check how far a seed gets.
pub fn run_server(data: &[u8]) -> Connection {
    let config = server_config();
    reset_randomness(SERVER_STREAM);
    let mut conn = Connection::server(config).unwrap();
    drive(&mut conn, data);
    conn
}

pub fn server(data: &[u8]) {
    run_server(data);
}

/// The client state machine driven by arbitrary server bytes after its ClientHello: the first
/// byte picks the client configuration (`CLIENT_FLAVOURS`), the rest is the server's flight.
pub fn run_client(data: &[u8]) -> Option<Connection> {
    let (&flavour, rest) = data.split_first()?;
    let config = client_config(usize::from(flavour));
    reset_randomness(CLIENT_STREAM);
    let mut conn = Connection::client(config, "localhost".try_into().unwrap()).unwrap();
    let _ = conn.take_outgoing();
    drive(&mut conn, rest);
    Some(conn)
}

pub fn client(data: &[u8]) {
    run_client(data);
}
