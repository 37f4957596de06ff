//! TLS 1.3 resumption (RFC 8446 §2.2, §4.6.1): tickets carry a PSK; the client offers it with
//! a binder; the server resumes with psk_dhe_ke (a fresh key exchange too). Every reason not to
//! resume is a full handshake; a binder that does not verify is fatal.

mod common;

use common::*;
use glasstls::internal::wire::{
    AlertDescription as A, Codec, Extension, HandshakeMessage, HandshakePayload as P,
};
use glasstls::session::{MemoryStore, Resumption, Session, SessionStore};
use glasstls::{ClientConfig, Connection, ServerConfig, UnixTime};
use rustls::crypto::aws_lc_rs as provider;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// A complete TLS 1.3 handshake plus the post-handshake ticket, at `now`.
fn connect_at(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    name: &str,
    now: UnixTime,
) -> (Connection, Connection) {
    let mut c =
        Connection::client(Arc::clone(client), name.to_string().try_into().unwrap()).unwrap();
    let mut s = Connection::server(Arc::clone(server)).unwrap();
    let (ce, se) = pump_at(&mut c, &mut s, now);
    assert!(
        ce.is_none() && se.is_none(),
        "handshake failed: client {ce:?}, server {se:?}"
    );
    assert_eq!(c.info().version, Some(glasstls::Version::Tls13));
    (c, s)
}

fn connect(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> (Connection, Connection) {
    connect_at(client, server, "localhost", UnixTime::now())
}

fn configs(pki: &Pki) -> (Arc<ClientConfig>, Arc<MemoryStore>, ServerConfig) {
    let cache = Arc::new(MemoryStore::new(16));
    let mut client = client_config(pki);
    client.session_cache = Some(cache.clone());
    (Arc::new(client), cache, server_config(pki))
}

#[test]
fn resumes_with_a_tls13_ticket_and_skips_the_certificate() {
    let pki = Pki::new();
    let (client, _, server) = configs(&pki);
    let server = Arc::new(server);
    let (c1, s1) = connect(&client, &server);
    assert_eq!((c1.info().resumed, s1.info().resumed), (None, None));
    assert!(c1.session().is_some(), "the ticket arrived and was kept");
    let (c2, s2) = connect(&client, &server);
    assert_eq!(c2.info().resumed, Some(Resumption::Ticket));
    assert_eq!(s2.info().resumed, Some(Resumption::Ticket));
    assert_eq!(
        s2.info().signature_scheme,
        None,
        "no CertificateVerify when resuming"
    );
    assert!(
        !c2.info().peer_certificates.is_empty(),
        "the chain from the full handshake is kept"
    );
    assert_eq!(
        c2.info().group,
        c1.info().group,
        "psk_dhe_ke: a fresh key exchange all the same"
    );
}

#[test]
fn resumes_from_the_session_store_when_tickets_are_off() {
    let pki = Pki::new();
    let (client, _, mut server) = configs(&pki);
    server.tickets = None;
    let store = Arc::new(MemoryStore::new(16));
    server.session_store = store.clone();
    let server = Arc::new(server);
    connect(&client, &server);
    assert_eq!(store.len(), 1, "the PSK lives in the server's store");
    let (c2, _) = connect(&client, &server);
    assert_eq!(c2.info().resumed, Some(Resumption::Ticket));
}

#[test]
fn refusals_give_a_full_handshake() {
    let pki = Pki::new();
    // Expired.
    let (client, _, mut server) = configs(&pki);
    server.session_lifetime = Duration::from_secs(60);
    let server = Arc::new(server);
    connect(&client, &server);
    let later = UnixTime::since_unix_epoch(Duration::from_secs(UnixTime::now().as_secs() + 120));
    let (c, s) = connect_at(&client, &server, "localhost", later);
    assert_eq!((c.info().resumed, s.info().resumed), (None, None));
    // Tampered ticket.
    let (client, cache, server) = configs(&pki);
    let server = Arc::new(server);
    connect(&client, &server);
    tamper_cached_ticket(&cache);
    let (c, s) = connect(&client, &server);
    assert_eq!((c.info().resumed, s.info().resumed), (None, None));
    // A restarted server (new ticket keys).
    connect(&client, &server);
    let (c, _) = connect(&client, &Arc::new(server_config(&pki)));
    assert_eq!(c.info().resumed, None);
}

#[test]
fn never_resumes_under_another_server_name() {
    let pki = Pki::new();
    let (client, cache, _) = configs(&pki);
    let mut server = glasstls::ServerConfig::new(Vec::new());
    for name in ["a.test", "b.test"] {
        let leaf = pki
            .ca
            .issue(&[name], glasstls_test::pki::KeyKind::EcdsaP256)
            .unwrap();
        server.named_identities.push((
            name.into(),
            glasstls::Identity::new(leaf.chain.clone(), &leaf.key_der()).unwrap(),
        ));
    }
    let server = Arc::new(server);
    connect_at(&client, &server, "a.test", UnixTime::now());
    cache.put(b"b.test".to_vec(), cache.get(b"a.test").unwrap());
    let (c, s) = connect_at(&client, &server, "b.test", UnixTime::now());
    assert_eq!((c.info().resumed, s.info().resumed), (None, None));
}

#[test]
fn a_binder_that_does_not_verify_is_decrypt_error() {
    let pki = Pki::new();
    let (client, _, server) = configs(&pki);
    let server = Arc::new(server);
    connect(&client, &server);
    let mut c = Connection::client(Arc::clone(&client), "localhost".try_into().unwrap()).unwrap();
    let records = split_records(&c.take_outgoing());
    let mut msg = HandshakeMessage::from_bytes(&records[0].payload).unwrap();
    let P::ClientHello(hello) = &mut msg.payload else {
        unreachable!()
    };
    let Some(Extension::PreSharedKey(offered)) = hello.extensions.last_mut() else {
        panic!("no PSK offered")
    };
    offered.binders[0][0] ^= 1;
    let mut s = Connection::server(Arc::clone(&server)).unwrap();
    expect_fatal(&mut s, &record(22, &msg.to_bytes()), A::DecryptError);
}

#[test]
fn pre_shared_key_must_be_the_last_extension() {
    let pki = Pki::new();
    let (client, _, server) = configs(&pki);
    let server = Arc::new(server);
    connect(&client, &server);
    let mut c = Connection::client(Arc::clone(&client), "localhost".try_into().unwrap()).unwrap();
    let records = split_records(&c.take_outgoing());
    let mut msg = HandshakeMessage::from_bytes(&records[0].payload).unwrap();
    let P::ClientHello(hello) = &mut msg.payload else {
        unreachable!()
    };
    let psk = hello.extensions.pop().unwrap();
    hello.extensions.insert(0, psk);
    let mut s = Connection::server(Arc::clone(&server)).unwrap();
    expect_fatal(&mut s, &record(22, &msg.to_bytes()), A::IllegalParameter);
}

// ---- rustls, both directions ----

fn rustls_client_config(pki: &Pki) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.cert.clone()).unwrap();
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(provider::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Moves bytes between a glasstls connection and a rustls one until both are idle.
fn pump_rustls<S: rustls::SideData>(
    ours: &mut Connection,
    theirs: &mut rustls::ConnectionCommon<S>,
) {
    for _ in 0..50 {
        let out = ours.take_outgoing();
        let mut progress = !out.is_empty();
        let mut rest = &out[..];
        while !rest.is_empty() {
            theirs.read_tls(&mut rest).unwrap();
            theirs.process_new_packets().unwrap();
        }
        let mut tls = Vec::new();
        while theirs.wants_write() {
            theirs.write_tls(&mut tls).unwrap();
        }
        progress |= !tls.is_empty();
        ours.read_tls(&tls);
        ours.process_new_packets(UnixTime::now()).unwrap();
        if !progress {
            return;
        }
    }
}

#[test]
fn rustls_client_resumes_with_glasstls_tickets() {
    let pki = Pki::new();
    let server = Arc::new(server_config(&pki));
    let config = rustls_client_config(&pki);
    for round in 0..2 {
        let mut ours = Connection::server(Arc::clone(&server)).unwrap();
        let mut theirs =
            rustls::ClientConnection::new(Arc::clone(&config), "localhost".try_into().unwrap())
                .unwrap();
        pump_rustls(&mut ours, &mut theirs);
        theirs.writer().write_all(b"x").unwrap();
        pump_rustls(&mut ours, &mut theirs);
        let expected = if round == 0 {
            rustls::HandshakeKind::Full
        } else {
            rustls::HandshakeKind::Resumed
        };
        assert_eq!(theirs.handshake_kind(), Some(expected), "round {round}");
        assert_eq!(ours.info().resumed.is_some(), round == 1);
    }
}

#[test]
fn glasstls_client_resumes_with_rustls_tickets() {
    let pki = Pki::new();
    let (client, _, _) = configs(&pki);
    let server_config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(provider::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(pki.ecdsa.chain.clone(), pki.ecdsa.key_der())
            .unwrap(),
    );
    for round in 0..2 {
        let mut ours =
            Connection::client(Arc::clone(&client), "localhost".try_into().unwrap()).unwrap();
        let mut theirs = rustls::ServerConnection::new(Arc::clone(&server_config)).unwrap();
        pump_rustls(&mut ours, &mut theirs);
        assert!(!ours.is_handshaking());
        assert_eq!(ours.info().resumed.is_some(), round == 1, "round {round}");
        assert_eq!(
            theirs.handshake_kind(),
            Some(if round == 0 {
                rustls::HandshakeKind::Full
            } else {
                rustls::HandshakeKind::Resumed
            })
        );
    }
}

#[test]
fn resumes_through_a_hello_retry_request_in_the_tickets_suite() {
    use glasstls::{CipherSuite, NamedGroup};
    let pki = Pki::new();
    let (client, cache, mut server) = configs(&pki);
    // The server takes only P-384; our client's first shares are X25519MLKEM768 and X25519.
    server.common.groups = vec![NamedGroup::secp384r1];
    let server = Arc::new(server);
    connect(&client, &server);
    let (c, s) = connect(&client, &server);
    assert_eq!(
        c.info().group,
        Some(NamedGroup::secp384r1),
        "a HelloRetryRequest happened"
    );
    assert_eq!(
        c.info().resumed,
        Some(Resumption::Ticket),
        "the binder was recomputed over the new transcript"
    );
    assert_eq!(s.info().resumed, Some(Resumption::Ticket));

    // A ticket for CHACHA20 while the client prefers AES-128: the server weighs the PSK before
    // it asks for another key share, so its HelloRetryRequest already names the ticket's suite
    // and the ServerHello after it keeps it (RFC 8446 §4.1.4).
    let mut chacha_only = client_config(&pki);
    chacha_only.session_cache = Some(cache.clone());
    chacha_only.common.cipher_suites = vec![CipherSuite::TLS_CHACHA20_POLY1305_SHA256];
    let (c, _) = connect(&Arc::new(chacha_only), &server);
    assert_eq!(
        c.info().cipher_suite,
        Some(CipherSuite::TLS_CHACHA20_POLY1305_SHA256)
    );
    assert_eq!(
        Session::decode(&cache.get(b"localhost").unwrap())
            .unwrap()
            .cipher_suite(),
        CipherSuite::TLS_CHACHA20_POLY1305_SHA256
    );
    let (c, s) = connect(&client, &server);
    assert_eq!(
        (c.info().resumed, s.info().resumed),
        (Some(Resumption::Ticket), Some(Resumption::Ticket))
    );
    assert_eq!(
        c.info().cipher_suite,
        Some(CipherSuite::TLS_CHACHA20_POLY1305_SHA256)
    );
    assert_eq!(c.info().group, Some(NamedGroup::secp384r1));
}
