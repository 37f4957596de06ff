//! What each fuzz target checks, shared by the cargo-fuzz targets (`fuzz_targets/*.rs`) and
//! by `glasstls/tests/fuzz_seeds.rs`, which replays the committed seeds in the ordinary test
//! suite. Every function must hold for every input: a panic is a bug.

#![allow(dead_code)] // each fuzz target uses one of these

use glasstls::pki_types::PrivateKeyDer;
use glasstls::record::{Deframer, INPUT_BUFFER_LIMIT, MAX_CIPHERTEXT, RecordCipher};
use glasstls::session::{Session, TicketKeys};
use glasstls::wire::{Codec, EcdheServerKeyExchange, HandshakeMessage, HandshakePayload};
use glasstls::{ClientConfig, Connection, Identity, RootStore, ServerConfig, UnixTime};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A fixed clock, so that a run depends on its input alone (as far as the protocol allows:
/// randoms and key shares still come from the system).
fn now() -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(1_800_000_000))
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
    let mut cipher = RecordCipher::new_tls13(glasstls::crypto::Aead::Aes128Gcm, &[7; 16], &[9; 12])
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

/// Feeds `data` to `conn` as a peer would, until it fails or takes no more.
fn drive(conn: &mut Connection, data: &[u8]) {
    let mut rest = data;
    while !rest.is_empty() {
        let n = conn.read_tls(rest);
        rest = &rest[n..];
        if conn.process_new_packets(now()).is_err() || n == 0 {
            break;
        }
        // What the state machine holds stays bounded whatever the peer sends.
        assert!(conn.plaintext_available() <= 64 * 1024 + 16 * 1024);
    }
    let _ = conn.take_outgoing();
}

fn server_config() -> Arc<ServerConfig> {
    static CONFIG: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        let key_der = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        let identity = Identity::new(vec![cert.der().clone()], &key_der).unwrap();
        let mut config = ServerConfig::new(vec![identity]);
        config.common.rsa_key_exchange = true;
        Arc::new(config)
    });
    Arc::clone(config)
}

/// The server state machine driven by arbitrary client bytes.
pub fn server(data: &[u8]) {
    let mut conn = Connection::server(server_config()).unwrap();
    drive(&mut conn, data);
}

/// The client state machine driven by arbitrary server bytes after its ClientHello (offering
/// both versions, and the RSA key exchange).
pub fn client(data: &[u8]) {
    let mut config = ClientConfig::new(RootStore::empty());
    config.common.rsa_key_exchange = true;
    let mut conn = Connection::client(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let _ = conn.take_outgoing();
    drive(&mut conn, data);
}
