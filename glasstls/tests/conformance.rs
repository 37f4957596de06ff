//! RFC rules that crafted records used to break (issue 12), one test each. A test here talks to
//! a glasstls server or client with bytes no glasstls peer would send: a ClientHello changed
//! after it was built, or a TLS 1.2 client written out by hand from the internal codec and key
//! schedule (`ScriptedRsaClient`).

mod common;

use common::*;
use glasstls::internal::crypto::{Aead, Hash, rsa_encrypt_pre_master_secret};
use glasstls::internal::record::RecordCipher;
use glasstls::internal::tls12 as keys;
use glasstls::internal::wire::{
    AlertDescription as A, CipherSuite, ClientHello, Codec, ContentType, Extension,
    HandshakeMessage, HandshakePayload as P, ProtocolVersion,
};
use glasstls::{Connection, Version};
use std::sync::Arc;

/// The ClientHello a TLS 1.2-only glasstls client with the RSA key exchange would send,
/// changed by `change`, and a server (TLS 1.2 and 1.3, RSA key exchange on) to send it to.
fn rsa_hello_and_server(
    pki: &Pki,
    change: impl FnOnce(&mut ClientHello),
) -> (HandshakeMessage, Connection) {
    let mut config = client_config_tls12(pki);
    config.common.rsa_key_exchange = true;
    config.common.cipher_suites = vec![CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256];
    let mut client = Connection::client(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let records = split_records(&client.take_outgoing());
    let mut msg = HandshakeMessage::from_bytes(&records[0].payload).unwrap();
    let P::ClientHello(hello) = &mut msg.payload else {
        unreachable!("a client's first message is its ClientHello")
    };
    change(hello);
    let mut server_config = server_config(pki);
    server_config.common.rsa_key_exchange = true;
    (msg, Connection::server(Arc::new(server_config)).unwrap())
}

/// The handshake messages in a run of plaintext handshake records, each with its bytes.
fn handshake_messages(bytes: &[u8]) -> Vec<Vec<u8>> {
    let payload: Vec<u8> = split_records(bytes)
        .into_iter()
        .filter(|r| r.typ == 22)
        .flat_map(|r| r.payload)
        .collect();
    let mut out = Vec::new();
    let mut rest = &payload[..];
    while rest.len() >= 4 {
        let len = usize::from(rest[1]) << 16 | usize::from(rest[2]) << 8 | usize::from(rest[3]);
        out.push(rest[..4 + len].to_vec());
        rest = &rest[4 + len..];
    }
    out
}

/// A TLS 1.2 client for the static-RSA key exchange, written out step by step so that it can
/// send what glasstls's own client never would (here: a client_version above 3,3 and a
/// pre-master secret carrying it).
struct ScriptedRsaClient {
    transcript: Vec<u8>,
    client_random: [u8; 32],
}

impl ScriptedRsaClient {
    /// Runs the handshake against `server`: the hello, then ClientKeyExchange with a
    /// pre-master secret whose first two bytes are `pms_version`, ChangeCipherSpec and
    /// Finished. Returns what the server sends after it (its ChangeCipherSpec and Finished, or
    /// an alert) and the error it reports.
    fn run(
        hello: HandshakeMessage,
        server: &mut Connection,
        server_spki: &[u8],
        pms_version: ProtocolVersion,
    ) -> (Vec<u8>, Option<glasstls::Error>) {
        Self::run_with_finished(hello, server, server_spki, pms_version, |v| v)
    }

    /// `run`, with the client's verify_data changed by `finished` before it is sent.
    fn run_with_finished(
        hello: HandshakeMessage,
        server: &mut Connection,
        server_spki: &[u8],
        pms_version: ProtocolVersion,
        finished: impl FnOnce(Vec<u8>) -> Vec<u8>,
    ) -> (Vec<u8>, Option<glasstls::Error>) {
        let P::ClientHello(ch) = &hello.payload else {
            unreachable!()
        };
        let mut me = Self {
            transcript: hello.to_bytes(),
            client_random: ch.random,
        };
        let mut err = None;
        feed_all(server, &record(22, &hello.to_bytes()), &mut err);
        assert!(err.is_none(), "the server refused the hello: {err:?}");
        let flight = handshake_messages(&server.take_outgoing());
        let server_hello = HandshakeMessage::from_bytes(&flight[0]).unwrap();
        let P::ServerHello(sh) = &server_hello.payload else {
            panic!("expected ServerHello, got {server_hello:?}")
        };
        assert_eq!(
            sh.cipher_suite,
            CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256
        );
        for msg in &flight {
            me.transcript.extend_from_slice(msg);
        }

        let mut pms = pms_version.0.to_be_bytes().to_vec();
        pms.extend(std::iter::repeat_n(0x5a, 46));
        let encrypted = rsa_encrypt_pre_master_secret(server_spki, &pms).unwrap();
        let mut body = (encrypted.len() as u16).to_be_bytes().to_vec();
        body.extend(encrypted);
        let cke = HandshakeMessage::new(P::ClientKeyExchange(body)).to_bytes();
        me.transcript.extend_from_slice(&cke);

        // The glasstls hello offers the extended master secret, and the server took it.
        let session_hash = aws_lc_rs::digest::digest(Hash::Sha256.digest(), &me.transcript);
        let ms = keys::extended_master_secret(Hash::Sha256, &pms, session_hash.as_ref());
        let prf = keys::PrfKey::master(Hash::Sha256, &ms);
        let block = keys::key_block(&prf, Aead::Aes128Gcm, &me.client_random, &sh.random);
        let finished_hash = aws_lc_rs::digest::digest(Hash::Sha256.digest(), &me.transcript);
        let verify_data = keys::verify_data(&prf, keys::CLIENT_FINISHED, finished_hash.as_ref());
        let finished =
            HandshakeMessage::new(P::Finished(finished(verify_data.to_vec()))).to_bytes();
        let mut writer = RecordCipher::new(
            Version::Tls12,
            Aead::Aes128Gcm,
            &block.client_write_key,
            &block.client_write_iv,
        )
        .unwrap();
        let mut flight = record(22, &cke);
        flight.extend(record(20, &[1]));
        writer
            .seal(ContentType::Handshake, &finished, &mut flight)
            .unwrap();
        feed_all(server, &flight, &mut err);
        (server.take_outgoing(), err)
    }
}

/// The RSA SubjectPublicKeyInfo of the PKI's RSA certificate.
fn rsa_spki(pki: &Pki) -> Vec<u8> {
    use rcgen::PublicKeyData;
    rcgen::KeyPair::from_pem(&pki.rsa.key_pem)
        .unwrap()
        .subject_public_key_info()
}

/// Issue 12, item 1. RFC 5246 §7.4.7.1: "The version number in the PreMasterSecret is the
/// version offered by the client in the ClientHello.client_version, not the version negotiated
/// for the connection." A client that offers {3,4} there (and no supported_versions, so TLS 1.2
/// is negotiated) puts {3,4} in its pre-master secret; the server must check against that, not
/// against a fixed {3,3}, or it replaces the secret and the handshake dies.
#[test]
fn rsa_key_exchange_checks_the_version_the_client_hello_offered() {
    let pki = Pki::new();
    let (hello, mut server) = rsa_hello_and_server(&pki, |h| {
        h.client_version = ProtocolVersion::TLSv1_3;
        h.extensions
            .retain(|e| e.typ() != glasstls::ExtensionType::SupportedVersions);
    });
    let (answer, err) = ScriptedRsaClient::run(
        hello,
        &mut server,
        &rsa_spki(&pki),
        ProtocolVersion::TLSv1_3,
    );
    assert_eq!(err, None, "the server must accept the pre-master secret");
    let records = split_records(&answer);
    let types: Vec<u8> = records.iter().map(|r| r.typ).collect();
    assert!(
        types.ends_with(&[20, 22]),
        "(NewSessionTicket,) ChangeCipherSpec and the server's Finished: {types:?}"
    );
    assert_eq!(server.info().version, Some(Version::Tls12));
    assert!(!server.is_handshaking());
}

/// The same rule from the other side: a pre-master secret carrying {3,3} after a hello that
/// offered {3,4} is the rollback RFC 5246 §7.4.7.1 guards against, and fails (the server goes on
/// with a random secret, so the client's Finished does not decrypt).
#[test]
fn rsa_key_exchange_refuses_a_pre_master_secret_with_another_version() {
    let pki = Pki::new();
    let (hello, mut server) = rsa_hello_and_server(&pki, |h| {
        h.client_version = ProtocolVersion::TLSv1_3;
        h.extensions
            .retain(|e| e.typ() != glasstls::ExtensionType::SupportedVersions);
    });
    let (answer, err) = ScriptedRsaClient::run(
        hello,
        &mut server,
        &rsa_spki(&pki),
        ProtocolVersion::TLSv1_2,
    );
    assert!(err.is_some(), "a rolled-back version must not be accepted");
    assert_eq!(
        plaintext_alerts(&answer),
        vec![(2, A::BadRecordMac.0)],
        "the Finished under the client's keys cannot be opened under the server's"
    );
}

/// The ClientHello a default glasstls client (TLS 1.3 and 1.2) sends, changed by `change`.
fn default_hello(pki: &Pki, change: impl FnOnce(&mut ClientHello)) -> Vec<u8> {
    hello_record(client_config(pki), change)
}

fn with_supported_versions(versions: &[u16]) -> impl FnOnce(&mut ClientHello) {
    let versions: Vec<ProtocolVersion> = versions.iter().map(|v| ProtocolVersion(*v)).collect();
    move |h: &mut ClientHello| {
        for e in &mut h.extensions {
            if let Extension::SupportedVersions(v) = e {
                *v = versions.clone();
            }
        }
    }
}

/// Issue 12, item 2. RFC 8446 §4.2.1: with supported_versions present, "servers MUST only
/// select a version of TLS present in that extension". A list of only a future version, or only
/// SSL 3.0, leaves nothing to select: protocol_version, not TLS 1.2 from the legacy field.
#[test]
fn supported_versions_alone_decides_the_version() {
    let pki = Pki::new();
    for only in [0x0305, 0x0300, 0x7f1c] {
        let mut server = Connection::server(Arc::new(server_config(&pki))).unwrap();
        let hello = default_hello(&pki, with_supported_versions(&[only]));
        let err = expect_fatal(&mut server, &hello, A::ProtocolVersion);
        assert!(
            err.to_string().contains("supported_versions"),
            "{only:#06x}: {err}"
        );
    }
    // TLS 1.2 listed there (the legacy field saying 3,3 too) is TLS 1.2; the future version
    // beside it is ignored.
    let mut server = Connection::server(Arc::new(server_config(&pki))).unwrap();
    let hello = default_hello(&pki, with_supported_versions(&[0x0305, 0x0303]));
    let mut err = None;
    feed_all(&mut server, &hello, &mut err);
    assert_eq!(err, None);
    assert_eq!(server.info().version, Some(Version::Tls12));
}

/// Issue 12, item 3. RFC 7507 §3: TLS_FALLBACK_SCSV from a client whose highest version is below
/// ours is a downgrade by an attacker or a broken retry: fatal inappropriate_fallback. From a
/// client at our highest version, or to a server whose highest is the client's, it is harmless.
#[test]
fn fallback_scsv_below_our_highest_version_is_refused() {
    let pki = Pki::new();
    let add_scsv = |h: &mut ClientHello| h.cipher_suites.push(CipherSuite::TLS_FALLBACK_SCSV);

    // A client offering TLS 1.2 at most (in supported_versions, or with no such extension).
    let tls12_listed = default_hello(&pki, |h| {
        with_supported_versions(&[0x0303])(h);
        add_scsv(h);
    });
    let tls12_legacy = default_hello(&pki, |h| {
        h.extensions
            .retain(|e| e.typ() != glasstls::ExtensionType::SupportedVersions);
        add_scsv(h);
    });
    for hello in [&tls12_listed, &tls12_legacy] {
        let mut server = Connection::server(Arc::new(server_config(&pki))).unwrap();
        let err = expect_fatal(&mut server, hello, A::InappropriateFallback);
        assert!(err.to_string().contains("fallback"), "{err}");
    }

    // The same hello to a server whose highest version is TLS 1.2: nothing inappropriate.
    let mut server = Connection::server(Arc::new(server_config_tls12(&pki))).unwrap();
    let mut err = None;
    feed_all(&mut server, &tls12_listed, &mut err);
    assert_eq!(err, None);
    // And a TLS 1.3 client carrying the SCSV gets TLS 1.3.
    let mut server = Connection::server(Arc::new(server_config(&pki))).unwrap();
    feed_all(&mut server, &default_hello(&pki, add_scsv), &mut err);
    assert_eq!(err, None);
    assert_eq!(server.info().version, Some(Version::Tls13));
}

/// A TLS 1.3 server that has read a client's ClientHello and sent its flight.
fn tls13_server_after_hello(pki: &Pki) -> Connection {
    let mut server = Connection::server(Arc::new(server_config(pki))).unwrap();
    let mut err = None;
    feed_all(&mut server, &default_hello(pki, |_| {}), &mut err);
    assert_eq!(err, None);
    assert_eq!(server.info().version, Some(Version::Tls13));
    server
}

/// Issue 12, item 4. RFC 8446 §5: the one compatibility ChangeCipherSpec is the single byte
/// 0x01; "An implementation which receives any other change_cipher_spec value [...] MUST abort
/// the handshake with an "unexpected_message" alert." Two CCS messages in one record, or the
/// value 2, are such values; in TLS 1.2 they stay malformed messages.
#[test]
fn tls13_change_cipher_spec_other_than_one_byte_of_one_is_unexpected() {
    let pki = Pki::new();
    for payload in [&[1u8, 1][..], &[2], &[1, 1, 1]] {
        let mut server = tls13_server_after_hello(&pki);
        let err = expect_fatal(&mut server, &record(20, payload), A::UnexpectedMessage);
        assert!(err.to_string().contains("ChangeCipherSpec"), "{err}");
    }
    // The compatibility record itself is dropped, once.
    let mut server = tls13_server_after_hello(&pki);
    let mut err = None;
    feed_all(&mut server, &record(20, &[1]), &mut err);
    assert_eq!(err, None);
    expect_fatal(&mut server, &record(20, &[1]), A::UnexpectedMessage);
}

/// Issue 12, item 5. RFC 8446 §5.1: "Implementations MUST NOT send zero-length fragments of
/// Handshake types, even if those fragments contain padding", and an alert is never split: a
/// TLS 1.3 record of either type with nothing in it is unexpected_message, plaintext or
/// protected.
#[test]
fn tls13_empty_handshake_and_alert_records_are_unexpected() {
    let pki = Pki::new();
    // Plaintext, where the client must already encrypt: unexpected either way.
    for typ in [22u8, 21] {
        let mut server = tls13_server_after_hello(&pki);
        expect_fatal(&mut server, &record(typ, &[]), A::UnexpectedMessage);
    }

    // Protected: the server's first record under its handshake keys holds an empty handshake
    // (or alert) fragment with padding. The client must refuse it the same way.
    for (typ, padding) in [
        (ContentType::Handshake, 0),
        (ContentType::Handshake, 20),
        (ContentType::Alert, 0),
    ] {
        let captured = glasstls_test::secrets::Captured::new();
        let mut server_config = server_config(&pki);
        server_config.common.key_log = Some(captured.clone());
        server_config.common.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
        let (mut client, mut server) = pair(client_config(&pki), server_config);
        let mut err = None;
        feed_all(&mut server, &client.take_outgoing(), &mut err);
        let flight = split_records(&server.take_outgoing());
        feed_all(&mut client, &join(&flight[..1]), &mut err);
        assert_eq!(err, None, "the ServerHello is fine");
        let mut cipher = captured.tls13_cipher(
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            Hash::Sha256,
            Aead::Aes128Gcm,
        );
        let mut forged = Vec::new();
        cipher.seal_padded(typ, &[], padding, &mut forged).unwrap();
        let err = expect_fatal(&mut client, &forged, A::UnexpectedMessage);
        assert!(err.to_string().contains("empty"), "{typ}: {err}");
    }
}

/// A TLS 1.3 pair after its handshake, with the client's application traffic secret captured:
/// the server and a cipher that seals what the client's next records would be.
fn tls13_server_and_client_cipher(pki: &Pki) -> (Connection, RecordCipher) {
    let captured = glasstls_test::secrets::Captured::new();
    let mut config = client_config(pki);
    config.common.key_log = Some(captured.clone());
    config.common.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
    let (mut client, mut server) = pair(config, server_config(pki));
    assert_eq!(pump(&mut client, &mut server), (None, None));
    // The client has sent nothing under its application keys yet: the next record is number 0.
    let cipher = captured.tls13_cipher("CLIENT_TRAFFIC_SECRET_0", Hash::Sha256, Aead::Aes128Gcm);
    (server, cipher)
}

/// Issue 12, item 6. RFC 8446 §5.1: "Handshake messages MUST NOT be interleaved with other
/// record types. That is, if a handshake message is split over two or more records, there MUST
/// NOT be any other records between them." A KeyUpdate split in two with application data
/// between the halves is unexpected_message, and the data is not delivered: whether the three
/// records arrive in one read or one by one (application data is opened on two paths, straight
/// from the caller's bytes and from the record buffer; both must see the half message).
#[test]
fn application_data_between_the_fragments_of_a_key_update_is_refused() {
    let pki = Pki::new();
    let key_update = [24u8, 0, 0, 1, 0];
    for one_read in [true, false] {
        let (mut server, mut cipher) = tls13_server_and_client_cipher(&pki);
        let mut records = [Vec::new(), Vec::new(), Vec::new()];
        cipher
            .seal(ContentType::Handshake, &key_update[..2], &mut records[0])
            .unwrap();
        cipher
            .seal(ContentType::ApplicationData, b"between", &mut records[1])
            .unwrap();
        cipher
            .seal(ContentType::Handshake, &key_update[2..], &mut records[2])
            .unwrap();
        let err = if one_read {
            expect_fatal(&mut server, &records.concat(), A::UnexpectedMessage)
        } else {
            let mut err = None;
            feed_all(&mut server, &records[0], &mut err);
            assert_eq!(err, None, "half a KeyUpdate is not an error yet");
            expect_fatal(&mut server, &records[1], A::UnexpectedMessage)
        };
        assert!(
            err.to_string().contains("rest of a handshake message"),
            "{err}"
        );
        assert!(server.received().is_empty(), "nothing may be delivered");
    }

    // The same fragments without the record between them are a KeyUpdate like any other.
    let (mut server, mut cipher) = tls13_server_and_client_cipher(&pki);
    let mut whole = Vec::new();
    cipher
        .seal(ContentType::Handshake, &key_update[..2], &mut whole)
        .unwrap();
    cipher
        .seal(ContentType::Handshake, &key_update[2..], &mut whole)
        .unwrap();
    let mut err = None;
    feed_all(&mut server, &whole, &mut err);
    assert_eq!(err, None, "a fragmented KeyUpdate alone is fine");
}

/// Issue 12, item 7. A Finished whose length is not the verify_data length (12 bytes in TLS
/// 1.2, the hash length in TLS 1.3) cannot be parsed as a Finished: decode_error ("a message
/// could not be decoded", RFC 8446 §6; RFC 5246 §7.2.2), not the decrypt_error of a wrong value.
/// Heavy record padding around it changes nothing.
#[test]
fn a_finished_of_the_wrong_length_is_a_decode_error() {
    let pki = Pki::new();
    // TLS 1.2, from the scripted client: 11 and 13 bytes, then 12 wrong ones for comparison.
    for (change, alert) in [
        (
            Box::new(|mut v: Vec<u8>| {
                v.pop();
                v
            }) as Box<dyn FnOnce(Vec<u8>) -> Vec<u8>>,
            A::DecodeError,
        ),
        (
            Box::new(|mut v: Vec<u8>| {
                v.push(0);
                v
            }),
            A::DecodeError,
        ),
        (
            Box::new(|mut v: Vec<u8>| {
                v[0] ^= 1;
                v
            }),
            A::DecryptError,
        ),
    ] {
        let (hello, mut server) = rsa_hello_and_server(&pki, |_| {});
        let (answer, err) = ScriptedRsaClient::run_with_finished(
            hello,
            &mut server,
            &rsa_spki(&pki),
            ProtocolVersion::TLSv1_2,
            change,
        );
        assert_eq!(err.as_ref().and_then(|e| e.alert()), Some(alert), "{err:?}");
        assert_eq!(plaintext_alerts(&answer), vec![(2, alert.0)]);
    }

    // TLS 1.3: the client's Finished, forged under its real handshake keys.
    for (len, padding, alert) in [
        (31, 0, A::DecodeError),
        (33, 0, A::DecodeError),
        (0, 0, A::DecodeError),
        (31, 4000, A::DecodeError),
        (32, 4000, A::DecryptError),
    ] {
        let captured = glasstls_test::secrets::Captured::new();
        let mut config = server_config(&pki);
        config.common.key_log = Some(captured.clone());
        config.common.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
        let (mut client, mut server) = pair(client_config(&pki), config);
        let mut err = None;
        feed_all(&mut server, &client.take_outgoing(), &mut err);
        assert_eq!(err, None);
        let mut cipher = captured.tls13_cipher(
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            Hash::Sha256,
            Aead::Aes128Gcm,
        );
        let finished = HandshakeMessage::new(P::Finished(vec![0x42; len])).to_bytes();
        let mut forged = Vec::new();
        cipher
            .seal_padded(ContentType::Handshake, &finished, padding, &mut forged)
            .unwrap();
        let err = expect_fatal(&mut server, &forged, alert);
        if alert == A::DecodeError {
            assert!(err.to_string().contains("Finished"), "{len}: {err}");
        }
    }
}

/// Issue 12, item 10. A ClientHello may legitimately be longer than 64 KiB: 2^15 - 1 cipher
/// suites and 2^16 - 1 bytes of extensions are what the syntax allows (RFC 8446 §4.1.2), some
/// 131 KiB in all. Such a hello is served, under the ClientHello's own bound (whatever the
/// limit configured for other messages); a declared length past that bound is decode_error.
#[test]
fn a_client_hello_as_large_as_the_syntax_allows_is_served() {
    let pki = Pki::new();
    let hello = default_hello(&pki, |h| {
        // GREASE-like suites nobody knows, then the real ones: 32 000 suites, 64 000 bytes.
        let real = std::mem::take(&mut h.cipher_suites);
        let mut suites: Vec<CipherSuite> = (0..32_000u16 - real.len() as u16)
            .map(|i| CipherSuite(0xff00 ^ i))
            .filter(|s| !real.contains(s))
            .collect();
        suites.extend(real);
        h.cipher_suites = suites;
        // And padding (RFC 7685) to near the extensions' limit (the hello's own extensions,
        // with an ML-KEM share, are under 3 000 bytes).
        h.extensions.insert(
            0,
            Extension::Unknown {
                typ: glasstls::ExtensionType(21),
                data: vec![0; 62_000],
            },
        );
    });
    assert!(hello.len() > 120 * 1024, "{} bytes", hello.len());
    for configured_limit in [glasstls::config::DEFAULT_MAX_HANDSHAKE_SIZE, 16 * 1024] {
        let mut config = server_config(&pki);
        config.common.max_handshake_size = configured_limit;
        let mut server = Connection::server(Arc::new(config)).unwrap();
        let mut err = None;
        feed_all(&mut server, &hello, &mut err);
        assert_eq!(err, None, "limit {configured_limit}");
        assert_eq!(server.info().version, Some(Version::Tls13));
    }

    // Past the syntax's largest ClientHello (131 397 bytes of body): decode_error at the
    // header, nothing waited for.
    let mut server = Connection::server(Arc::new(server_config(&pki))).unwrap();
    expect_fatal(
        &mut server,
        &record(22, &[1, 0x02, 0x01, 0x46]),
        A::DecodeError,
    );
}

/// Issue 12, item 11. RFC 8446 §4: "a peer which receives a handshake message in an
/// unexpected order MUST abort the handshake with an "unexpected_message" alert". The order is
/// known from the message's type, before its body is parsed: a server's first message that is
/// not a ClientHello is unexpected_message whatever its body (not decode_error because that
/// body is no valid message of that type), and it is refused from its four-byte header.
#[test]
fn a_message_of_the_wrong_type_is_refused_before_its_body_is_read() {
    let pki = Pki::new();
    let hello = default_hello(&pki, |_| {});
    let hello_body = &split_records(&hello)[0].payload[4..];
    for typ in [2u8, 11, 16, 20, 4, 24, 99] {
        let mut server = Connection::server(Arc::new(server_config(&pki))).unwrap();
        let err = expect_fatal(
            &mut server,
            &record(22, &handshake(typ, hello_body)),
            A::UnexpectedMessage,
        );
        assert!(
            err.to_string().contains("expected ClientHello"),
            "{typ}: {err}"
        );
        // The header alone is enough: no body is waited for, however long it claims to be.
        let mut server = Connection::server(Arc::new(server_config(&pki))).unwrap();
        expect_fatal(
            &mut server,
            &record(22, &[typ, 0x01, 0x00, 0x00]),
            A::UnexpectedMessage,
        );
    }
    // The client, waiting for ServerHello, is the same.
    let (mut client, _) = pair(client_config(&pki), server_config(&pki));
    let _ = client.take_outgoing();
    expect_fatal(
        &mut client,
        &record(22, &[11, 0, 0, 3, 0, 0, 0]),
        A::UnexpectedMessage,
    );
}

/// Issue 12, item 12. draft-ietf-tls-ecdhe-mlkem: the server "MUST" check the client's ML-KEM
/// encapsulation key as FIPS 203 §7.2 requires (every 12-bit coefficient below q = 3329) and
/// abort with illegal_parameter when it fails, as for any malformed key share: a peer's bad
/// value, not an internal_error of ours.
#[test]
fn an_unreduced_mlkem_encapsulation_key_is_illegal_parameter() {
    let pki = Pki::new();
    // Coefficient 0 of t̂ set to 4095 (its 12 bits all ones), then the last one of the vector.
    for at in [0usize, 384 * 3 - 2] {
        let hello = default_hello(&pki, |h| {
            for e in &mut h.extensions {
                if let Extension::KeyShares(shares) = e {
                    let hybrid = shares
                        .iter_mut()
                        .find(|s| s.group == glasstls::NamedGroup::X25519MLKEM768)
                        .expect("glasstls offers X25519MLKEM768 first");
                    hybrid.key_exchange[at] = 0xff;
                    hybrid.key_exchange[at + 1] = 0xff;
                }
            }
        });
        let mut server = Connection::server(Arc::new(server_config(&pki))).unwrap();
        let err = expect_fatal(&mut server, &hello, A::IllegalParameter);
        assert!(err.to_string().contains("key share"), "{err}");
    }
}

/// Issue 12, item 13. RFC 8446 §6.1: a close_notify closes its sender's write side and "does
/// not have any effect on its read side": the client may send its request and close, and the
/// server still answers, then closes its own side when it is done. TLS 1.2 keeps RFC 5246
/// §7.2.1 (answer close_notify at once, discard pending writes).
#[test]
fn tls13_close_notify_closes_one_direction_only() {
    let pki = Pki::new();
    let (mut client, mut server) = pair(client_config(&pki), server_config(&pki));
    assert_eq!(pump(&mut client, &mut server), (None, None));
    client.send(b"request").unwrap();
    client.send_close_notify();
    let now = glasstls::UnixTime::now();
    let got = glasstls_test::deliver(&mut server, &client.take_outgoing(), now).unwrap();
    assert_eq!(got, b"request");
    assert!(server.peer_has_closed());
    let mut err = None;
    // No close_notify of the server's own yet: only the data it chooses to send, then its close.
    let queued = server.take_outgoing();
    assert!(
        split_records(&queued).iter().all(|r| r.typ != 21),
        "nothing alert-typed is sent back"
    );
    feed_all(&mut client, &queued, &mut err);
    assert!(!client.peer_has_closed());
    server.send(b"reply").unwrap();
    server.send_close_notify();
    let got = glasstls_test::deliver(&mut client, &server.take_outgoing(), now).unwrap();
    assert_eq!(
        got, b"reply",
        "the reply arrives after the client's close_notify"
    );
    assert!(client.peer_has_closed());
    assert_eq!(client.send(b"more"), Err(glasstls::Error::ConnectionClosed));

    // TLS 1.2: the close_notify is answered at once and the server can send nothing more.
    let (mut client, mut server) = pair(client_config_tls12(&pki), server_config(&pki));
    assert_eq!(pump(&mut client, &mut server), (None, None));
    client.send(b"request").unwrap();
    client.send_close_notify();
    feed_all(&mut server, &client.take_outgoing(), &mut err);
    assert!(server.peer_has_closed());
    assert!(
        !server.take_outgoing().is_empty(),
        "the server's close_notify"
    );
    assert_eq!(
        server.send(b"reply"),
        Err(glasstls::Error::ConnectionClosed)
    );
}

/// Seals `inner` (a TLSInnerPlaintext: content, type byte, padding) as record number `seq`
/// under a TLS 1.3 AES-128-GCM traffic secret, with aws-lc directly: glasstls's own sealer
/// refuses to build an over-long one.
fn seal_inner_plaintext_raw(secret: &[u8], seq: u64, inner: &[u8]) -> Vec<u8> {
    use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let (key, iv) =
        glasstls::internal::tls13::traffic_key_and_iv(Hash::Sha256, Aead::Aes128Gcm, secret);
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).unwrap());
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&iv);
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    let len = (inner.len() + 16) as u16;
    let header = [23, 3, 3, (len >> 8) as u8, len as u8];
    let mut body = inner.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(header),
        &mut body,
    )
    .unwrap();
    [&header[..], &body].concat()
}

/// Issue 12, item 8. RFC 8446 §5.4: the TLSInnerPlaintext, content type and padding included,
/// "MUST NOT exceed 2^14 + 1 octets", or record_overflow: a short content with padding past
/// the limit too. At the limit exactly, a record is fine.
#[test]
fn tls13_inner_plaintext_past_two_to_the_fourteen_plus_one_is_record_overflow() {
    let pki = Pki::new();
    for (content, padding, ok) in [
        (100, (1 << 14) - 100, true), // 2^14 + 1 in all
        (100, (1 << 14) - 99, false), // 2^14 + 2
        (1 << 14, 0, true),           // the largest content, no padding
        (0, 1 << 14, true),           // an empty record of the largest size
        (10, (1 << 14) + 100, false), // far past, mostly padding
    ] {
        let captured = glasstls_test::secrets::Captured::new();
        let mut config = client_config(&pki);
        config.common.key_log = Some(captured.clone());
        config.common.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
        let (mut client, mut server) = pair(config, server_config(&pki));
        assert_eq!(pump(&mut client, &mut server), (None, None));
        let mut inner = vec![b'x'; content];
        inner.push(ContentType::ApplicationData.0);
        inner.extend(std::iter::repeat_n(0, padding));
        let secret = captured.secret("CLIENT_TRAFFIC_SECRET_0").unwrap();
        let record = seal_inner_plaintext_raw(&secret, 0, &inner);
        if ok {
            let got = glasstls_test::deliver(&mut server, &record, glasstls::UnixTime::now());
            assert_eq!(got.map(|d| d.len()), Ok(content), "{content} + {padding}");
        } else {
            expect_fatal(&mut server, &record, A::RecordOverflow);
        }
    }
}

/// RFC 8446 §6: alerts are encrypted under the current keys. Once a TLS 1.3 client has the
/// ServerHello, its current keys are its handshake keys: an alert about the server's encrypted
/// flight (here, a certificate for another name) goes out after the compatibility
/// ChangeCipherSpec as a protected record, which opens under client_handshake_traffic_secret
/// to bad_certificate. (It went out in plaintext, which a strict peer cannot read.)
#[test]
fn a_tls13_client_encrypts_its_alert_about_the_servers_flight() {
    let pki = Pki::new();
    let leaf = pki
        .ca
        .issue(&["elsewhere.test"], glasstls_test::pki::KeyKind::EcdsaP256)
        .unwrap();
    let captured = glasstls_test::secrets::Captured::new();
    let mut config = client_config(&pki);
    config.common.key_log = Some(captured.clone());
    config.common.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
    let server = glasstls::ServerConfig::new(vec![
        glasstls::Identity::new(leaf.chain.clone(), &leaf.key_der()).unwrap(),
    ]);
    let (mut client, mut server) = pair(config, server);
    let mut err = None;
    feed_all(&mut server, &client.take_outgoing(), &mut err);
    let flight = server.take_outgoing();
    let client_err = glasstls_test::deliver(&mut client, &flight, glasstls::UnixTime::now())
        .expect_err("the certificate is for another name");
    assert_eq!(client_err.alert(), Some(A::BadCertificate));
    let sent = split_records(&client.take_outgoing());
    assert_eq!(
        sent.iter().map(|r| r.typ).collect::<Vec<_>>(),
        vec![20, 23],
        "the compatibility CCS, then one protected record"
    );
    let mut opener = captured.tls13_cipher(
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        Hash::Sha256,
        Aead::Aes128Gcm,
    );
    let mut payload = sent[1].payload.clone();
    let (typ, plaintext) = opener
        .open(ContentType::ApplicationData, &mut payload)
        .unwrap();
    assert_eq!(
        (typ, plaintext.to_vec()),
        (ContentType::Alert, vec![2, A::BadCertificate.0])
    );
}

/// A real P-256 or P-384 point in compressed form (RFC 8422 §5.4.1's compressed_y): 0x02 or
/// 0x03 by the parity of Y, then X.
fn compressed(uncompressed: &[u8]) -> Vec<u8> {
    let coordinate = (uncompressed.len() - 1) / 2;
    let (x, y) = uncompressed[1..].split_at(coordinate);
    let mut out = vec![2 + (y[coordinate - 1] & 1)];
    out.extend_from_slice(x);
    out
}

/// RFC 8446 §4.2.8.2: a NIST-curve share is the UncompressedPointRepresentation (0x04, X, Y);
/// RFC 8422 §5.4.1 says the same for TLS 1.2 without a negotiated compressed format. A valid
/// point in compressed form is an invalid share: illegal_parameter, in both directions.
#[test]
fn a_compressed_ec_point_is_an_invalid_key_share() {
    let pki = Pki::new();
    for (group, len) in [
        (glasstls::NamedGroup::secp256r1, 65),
        (glasstls::NamedGroup::secp384r1, 97),
    ] {
        // A real key share from a client offering only this group.
        let mut config = client_config(&pki);
        config.common.groups = vec![group];
        let hello = hello_record(config, |h| {
            for e in &mut h.extensions {
                if let Extension::KeyShares(shares) = e {
                    assert_eq!(shares[0].key_exchange.len(), len);
                    shares[0].key_exchange = compressed(&shares[0].key_exchange);
                }
            }
        });
        let mut server = Connection::server(Arc::new(server_config(&pki))).unwrap();
        expect_fatal(&mut server, &hello, A::IllegalParameter);

        // The server's share, compressed in its ServerHello.
        let mut config = server_config(&pki);
        config.common.groups = vec![group];
        let mut client_config = client_config(&pki);
        client_config.common.groups = vec![group];
        let (mut client, mut server) = pair(client_config, config);
        let mut err = None;
        feed_all(&mut server, &client.take_outgoing(), &mut err);
        let mut flight = split_records(&server.take_outgoing());
        let mut msg = HandshakeMessage::from_bytes(&flight[0].payload).unwrap();
        let P::ServerHello(sh) = &mut msg.payload else {
            unreachable!()
        };
        for e in &mut sh.extensions {
            if let Extension::KeyShare(share) = e {
                share.key_exchange = compressed(&share.key_exchange);
            }
        }
        flight[0].payload = msg.to_bytes();
        expect_fatal(&mut client, &join(&flight[..1]), A::IllegalParameter);
    }
}

/// A message we answer with a flight ends the peer's flight: the peer has not read our answer,
/// so anything after that message in the same record is out of step (a ClientHello followed by
/// the start of a ClientKeyExchange; a ServerHelloDone followed by the start of another
/// message). It is refused (unexpected_message) rather than carried over and read later as
/// if it had come after our answer, and the answer is not sent: one plaintext alert, where the
/// peer still reads us.
#[test]
fn handshake_data_after_the_end_of_a_flight_is_refused() {
    let pki = Pki::new();
    // Server: ClientHello, then two bytes of a ClientKeyExchange, in one record.
    let hello = hello_record(client_config_tls12(&pki), |_| {});
    let mut payload = split_records(&hello)[0].payload.clone();
    payload.extend_from_slice(&[16, 0]);
    let mut server = Connection::server(Arc::new(server_config(&pki))).unwrap();
    let err = expect_fatal(&mut server, &record(22, &payload), A::UnexpectedMessage);
    assert!(err.to_string().contains("before our answer"), "{err}");

    // Client (TLS 1.2): the server's flight, with the start of a NewSessionTicket after its
    // ServerHelloDone in the same record.
    let (mut client, mut server) = pair(client_config_tls12(&pki), server_config(&pki));
    let mut err = None;
    feed_all(&mut server, &client.take_outgoing(), &mut err);
    let flight: Vec<u8> = split_records(&server.take_outgoing())
        .into_iter()
        .flat_map(|r| r.payload)
        .chain([4, 0, 0])
        .collect();
    let err = expect_fatal(&mut client, &record(22, &flight), A::UnexpectedMessage);
    assert!(err.to_string().contains("before our answer"), "{err}");
}

/// `Common::max_fragment_size` bounds every record we send, handshake and data alike, and the
/// peer reassembles them; a size outside 64..=2^14 is refused when the connection is made.
#[test]
fn max_fragment_size_bounds_every_record_we_send() {
    let pki = Pki::new();
    for tls12 in [false, true] {
        let mut config = if tls12 {
            client_config_tls12(&pki)
        } else {
            client_config(&pki)
        };
        config.common.max_fragment_size = Some(512);
        let mut server_config = server_config(&pki);
        server_config.common.max_fragment_size = Some(512);
        let (mut client, mut server) = pair(config, server_config);
        let mut biggest = 0;
        for _ in 0..10 {
            let out = client.take_outgoing();
            let back = server.take_outgoing();
            for r in split_records(&out).iter().chain(&split_records(&back)) {
                biggest = biggest.max(r.payload.len());
            }
            let now = glasstls::UnixTime::now();
            glasstls_test::deliver(&mut server, &out, now).unwrap();
            glasstls_test::deliver(&mut client, &back, now).unwrap();
        }
        assert!(!client.is_handshaking() && !server.is_handshaking());
        let data = hex_lines(7, 100);
        client.send(&data).unwrap();
        let out = client.take_outgoing();
        for r in split_records(&out) {
            biggest = biggest.max(r.payload.len());
        }
        let got = glasstls_test::deliver(&mut server, &out, glasstls::UnixTime::now()).unwrap();
        assert_eq!(got, data);
        // 512 bytes of plaintext, and what protection adds (a TLS 1.3 type byte, nonce, tag).
        assert!(
            biggest <= 512 + 1 + 8 + 16,
            "a record of {biggest} bytes (TLS 1.2: {tls12})"
        );
        assert!(biggest > 256, "the certificate spans several records");
    }
    for size in [0, 63, 16385] {
        let mut config = client_config(&pki);
        config.common.max_fragment_size = Some(size);
        let refused = Connection::client(Arc::new(config), "localhost".try_into().unwrap());
        assert!(
            matches!(refused, Err(glasstls::Error::Config(_))),
            "{size}: {refused:?}",
            refused = refused.err()
        );
    }
}

/// RFC 5246 §7.4.1.3: a TLS 1.2 server that echoes the client's session ID resumes that
/// session. A TLS 1.3-capable client's ID is a random one for middlebox compatibility (RFC 8446
/// §D.4), not a session: a TLS 1.2 ServerHello that echoes it claims a resumption the client
/// cannot make, and is illegal_parameter.
#[test]
fn a_tls12_server_echoing_a_session_id_we_did_not_resume_is_refused() {
    let pki = Pki::new();
    let (mut client, mut server) = pair(client_config(&pki), server_config_tls12(&pki));
    let hello = client.take_outgoing();
    let ch = HandshakeMessage::from_bytes(&split_records(&hello)[0].payload).unwrap();
    let P::ClientHello(ch) = ch.payload else {
        unreachable!()
    };
    assert_eq!(ch.session_id.len(), 32, "the compatibility session ID");
    let mut err = None;
    feed_all(&mut server, &hello, &mut err);
    let mut flight = split_records(&server.take_outgoing());
    let mut msg = HandshakeMessage::from_bytes(&flight[0].payload).unwrap();
    let P::ServerHello(sh) = &mut msg.payload else {
        unreachable!()
    };
    sh.session_id = ch.session_id.clone();
    flight[0].payload = msg.to_bytes();
    let err = expect_fatal(&mut client, &join(&flight[..1]), A::IllegalParameter);
    assert!(err.to_string().contains("session"), "{err}");
}

/// The server's encrypted TLS 1.3 flight (after its ServerHello), opened with its captured
/// handshake secret, changed message by message by `change`, and sealed again as one record
/// from sequence number 0: what a server holding the keys could have sent instead.
fn reseal_server_flight(
    captured: &glasstls_test::secrets::Captured,
    flight: &[Rec],
    change: impl Fn(&mut HandshakeMessage),
) -> Vec<u8> {
    let mut opener = captured.tls13_cipher(
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        Hash::Sha256,
        Aead::Aes128Gcm,
    );
    let mut plaintext = Vec::new();
    for r in flight.iter().filter(|r| r.typ == 23) {
        let mut payload = r.payload.clone();
        let (typ, body) = opener
            .open(ContentType::ApplicationData, &mut payload)
            .unwrap();
        assert_eq!(typ, ContentType::Handshake);
        plaintext.extend_from_slice(body);
    }
    let mut changed = Vec::new();
    for raw in handshake_messages(&record(22, &plaintext)) {
        let mut msg = HandshakeMessage::from_bytes_tls13(&raw).unwrap();
        change(&mut msg);
        changed.extend(msg.to_bytes());
    }
    let mut sealer = captured.tls13_cipher(
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        Hash::Sha256,
        Aead::Aes128Gcm,
    );
    let mut out = Vec::new();
    sealer
        .seal(ContentType::Handshake, &changed, &mut out)
        .unwrap();
    out
}

/// A handshake signature whose scheme is for another kind of key than the certificate's (an
/// ECDSA P-384 scheme from a P-256 key, an RSA scheme from an ECDSA key) is illegal_parameter:
/// a value that does not fit, not a signature that failed to verify (decrypt_error).
#[test]
fn a_signature_scheme_for_another_key_type_is_illegal_parameter() {
    let pki = Pki::new();
    for scheme in [
        glasstls::SignatureScheme::ecdsa_secp384r1_sha384,
        glasstls::SignatureScheme::rsa_pss_rsae_sha256,
    ] {
        let captured = glasstls_test::secrets::Captured::new();
        let mut config = server_config(&pki);
        config.identities =
            vec![glasstls::Identity::new(pki.ecdsa.chain.clone(), &pki.ecdsa.key_der()).unwrap()];
        config.common.key_log = Some(captured.clone());
        config.common.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
        let (mut client, mut server) = pair(client_config(&pki), config);
        let mut err = None;
        feed_all(&mut server, &client.take_outgoing(), &mut err);
        let flight = split_records(&server.take_outgoing());
        let forged = reseal_server_flight(&captured, &flight[1..], |msg| {
            if let P::CertificateVerify(signed) = &mut msg.payload {
                signed.scheme = scheme;
            }
        });
        feed_all(&mut client, &join(&flight[..1]), &mut err);
        assert_eq!(err, None);
        let err = expect_fatal(&mut client, &forged, A::IllegalParameter);
        assert!(
            err.to_string().contains("another kind of key"),
            "{scheme}: {err}"
        );
    }
}

/// RFC 8446 §4.6.3: an update_requested is answered "prior to sending [our] next Application
/// Data record", and several received while we are silent get a single answer.
#[test]
fn several_key_update_requests_get_one_answer_before_our_next_data() {
    let pki = Pki::new();
    let (mut client, mut server) = pair(client_config(&pki), server_config(&pki));
    assert_eq!(pump(&mut client, &mut server), (None, None));
    for _ in 0..3 {
        client.request_key_update().unwrap();
    }
    let now = glasstls::UnixTime::now();
    glasstls_test::deliver(&mut server, &client.take_outgoing(), now).unwrap();
    assert!(
        server.take_outgoing().is_empty(),
        "nothing is sent before our data"
    );
    server.send(b"after").unwrap();
    let out = server.take_outgoing();
    assert_eq!(split_records(&out).len(), 2, "one KeyUpdate, then the data");
    let got = glasstls_test::deliver(&mut client, &out, now).unwrap();
    assert_eq!(got, b"after");
    // Both directions still work under the new keys.
    client.send(b"back").unwrap();
    let got = glasstls_test::deliver(&mut server, &client.take_outgoing(), now).unwrap();
    assert_eq!(got, b"back");
}

/// The first PSK identity's obfuscated_ticket_age in a ClientHello.
fn offered_ticket_age(hello: &[u8]) -> Option<u32> {
    let msg = HandshakeMessage::from_bytes(&split_records(hello)[0].payload).unwrap();
    let P::ClientHello(ch) = msg.payload else {
        unreachable!()
    };
    ch.extensions.iter().find_map(|e| match e {
        Extension::PreSharedKey(psks) => Some(psks.identities[0].obfuscated_ticket_age),
        _ => None,
    })
}

/// RFC 8446 §4.2.11.1: the client reports its ticket's age ("the time since the client
/// received the ticket", in milliseconds, plus ticket_age_add); §4.6.1: "Clients MUST NOT cache
/// tickets for longer than" their lifetime. `Connection::client_at` is told the time.
#[test]
fn a_tls13_client_reports_its_tickets_age_and_forgets_expired_ones() {
    let pki = Pki::new();
    let mut config = client_config(&pki);
    config.common.trace = true;
    let client = Arc::new(config);
    let server = Arc::new(server_config(&pki));
    let t0 = glasstls::UnixTime::now();
    let at = |secs: u64| {
        glasstls::UnixTime::since_unix_epoch(std::time::Duration::from_secs(t0.as_secs() + secs))
    };
    let mut first = glasstls_test::Pair::from_arcs(&client, &server, "localhost").at(t0);
    first.handshake();

    let later = |secs| {
        Connection::client_at(
            Arc::clone(&client),
            "localhost".try_into().unwrap(),
            at(secs),
        )
        .unwrap()
    };
    let age_100 = offered_ticket_age(&later(100).take_outgoing()).expect("the ticket is offered");
    let age_300 = offered_ticket_age(&later(300).take_outgoing()).expect("the ticket is offered");
    assert_eq!(
        age_300.wrapping_sub(age_100),
        200_000,
        "200 s more, in milliseconds"
    );

    // Two days on, past the ticket's lifetime: nothing is offered, and the session is gone.
    let mut expired = later(2 * 24 * 60 * 60);
    assert_eq!(offered_ticket_age(&expired.take_outgoing()), None);
    assert!(
        expired.take_events().iter().any(|e| matches!(
            e,
            glasstls::Event::Decision(glasstls::trace::Decision::CachedSessionExpired { .. })
        )),
        "the trace says why nothing was offered"
    );
    assert_eq!(
        offered_ticket_age(&later(100).take_outgoing()),
        None,
        "forgotten"
    );
}
