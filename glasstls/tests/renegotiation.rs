//! Renegotiation is refused (RFC 5746 §4.2, §4.4; RFC 5246 §7.2.2): a ClientHello or
//! HelloRequest after the handshake is answered with a no_renegotiation warning, and the
//! connection carries on. The test recovers the session keys from the key log to play the
//! part of a peer that tries.

mod common;

use common::*;
use glasstls::KeyLog;
use glasstls::internal::crypto::{Aead, Hash};
use glasstls::internal::record::RecordCipher;
use glasstls::internal::tls12 as keys;
use glasstls::internal::wire::{AlertDescription, CipherSuite, ContentType};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Capture(Mutex<Option<Vec<u8>>>);

impl KeyLog for Capture {
    fn log(&self, _label: &str, _client_random: &[u8], secret: &[u8]) {
        *self.0.lock().unwrap() = Some(secret.to_vec());
    }
}

/// A cipher for one direction, advanced to sequence number `seq`.
fn cipher_at(key: &[u8], iv: &[u8], seq: u64) -> RecordCipher {
    let mut c = RecordCipher::new(glasstls::Version::Tls12, Aead::Aes128Gcm, key, iv).unwrap();
    for _ in 0..seq {
        c.seal(ContentType::ApplicationData, &[], &mut Vec::new())
            .unwrap();
    }
    c
}

fn open_one(cipher: &mut RecordCipher, bytes: &[u8]) -> (u8, Vec<u8>) {
    let typ = bytes[0];
    let mut payload = bytes[5..].to_vec();
    let (inner, plaintext) = cipher.open(ContentType(typ), &mut payload).unwrap();
    (inner.0, plaintext.to_vec())
}

#[test]
fn renegotiation_attempts_get_a_no_renegotiation_warning_and_the_connection_continues() {
    let pki = Pki::new();
    let capture = Arc::new(Capture::default());
    let mut cc = client_config_tls12(&pki);
    cc.common.cipher_suites = vec![CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
    cc.common.key_log = Some(capture.clone());
    let (mut client, mut server) = pair(cc, server_config_tls12(&pki));

    let mut err = None;
    let hello = client.take_outgoing();
    let client_random: [u8; 32] = hello[11..43].try_into().unwrap();
    feed_all(&mut server, &hello, &mut err);
    let flight = server.take_outgoing();
    let server_random: [u8; 32] = flight[11..43].try_into().unwrap();
    feed_all(&mut client, &flight, &mut err);
    let (c, s) = pump(&mut client, &mut server);
    assert!(err.is_none() && c.is_none() && s.is_none());
    assert!(!client.is_handshaking() && !server.is_handshaking());

    let ms = keys::MasterSecret::from_bytes(
        capture
            .0
            .lock()
            .unwrap()
            .clone()
            .unwrap()
            .try_into()
            .unwrap(),
    );
    let block = keys::key_block(
        &keys::PrfKey::master(Hash::Sha256, &ms),
        Aead::Aes128Gcm,
        &client_random,
        &server_random,
    );
    let (ck, civ) = (&block.client_write_key[..], &block.client_write_iv[..]);
    let (sk, siv) = (&block.server_write_key[..], &block.server_write_iv[..]);

    // A hostile client asks the server to renegotiate (its Finished was record 0).
    let mut attempt = Vec::new();
    let hello_body = &hello[5..];
    cipher_at(ck, civ, 1)
        .seal(ContentType::Handshake, hello_body, &mut attempt)
        .unwrap();
    feed_all(&mut server, &attempt, &mut err);
    assert!(err.is_none(), "the server must not fail: {err:?}");
    let answer = server.take_outgoing();
    assert_eq!(
        open_one(&mut cipher_at(sk, siv, 1), &answer),
        (21, vec![1, AlertDescription::NoRenegotiation.0])
    );

    // A hostile server sends HelloRequest. The client has read one server record (Finished);
    // the alert above went to us, not to it.
    let mut request = Vec::new();
    cipher_at(sk, siv, 1)
        .seal(ContentType::Handshake, &[0, 0, 0, 0], &mut request)
        .unwrap();
    feed_all(&mut client, &request, &mut err);
    assert!(err.is_none(), "the client must not fail: {err:?}");
    let answer = client.take_outgoing();
    assert_eq!(
        open_one(&mut cipher_at(ck, civ, 1), &answer),
        (21, vec![1, AlertDescription::NoRenegotiation.0])
    );

    // Both still carry data. The server's sequence numbers moved on with our forged record, so
    // only the client → server direction can be checked here.
    let mut more = Vec::new();
    cipher_at(ck, civ, 2)
        .seal(ContentType::ApplicationData, b"still here", &mut more)
        .unwrap();
    server.read_tls(&more);
    server
        .process_new_packets(glasstls::UnixTime::now())
        .unwrap();
    let mut buf = [0u8; 32];
    let n = server.recv(&mut buf);
    assert_eq!(&buf[..n], b"still here");
}
