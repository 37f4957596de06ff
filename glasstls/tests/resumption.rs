//! Session resumption by session ID and by ticket (RFC 5246 §7.3, RFC 5077, RFC 7627 §5.3), in
//! memory: what resumes, and every refusal, which must be a full handshake, never an error and
//! never a resumption.

mod common;

use common::*;
use glasstls::internal::wire::{Codec, ExtensionType, HandshakeMessage, HandshakePayload as P};
use glasstls::session::{MemoryStore, Resumption, Session, SessionStore, TicketKeys};
use glasstls::{ClientConfig, Connection, Identity, ServerConfig, UnixTime};
use glasstls_test::pki::KeyKind;
use std::sync::Arc;
use std::time::Duration;

/// One complete handshake between fresh connections at `now`; both must succeed.
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
    assert!(!c.is_handshaking() && !s.is_handshaking());
    (c, s)
}

fn connect(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> (Connection, Connection) {
    connect_at(client, server, "localhost", UnixTime::now())
}

fn later(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(UnixTime::now().as_secs() + secs))
}

fn ids_only(mut server: ServerConfig) -> ServerConfig {
    server.tickets = None;
    server
}

fn assert_full(c: &Connection, s: &Connection) {
    assert_eq!(
        c.info().resumed,
        None,
        "the client must see a full handshake"
    );
    assert_eq!(
        s.info().resumed,
        None,
        "the server must do a full handshake"
    );
    assert!(!c.info().peer_certificates.is_empty());
}

fn deliver(from: &mut Connection, to: &mut Connection) {
    let bytes = from.take_outgoing();
    assert_eq!(to.read_tls(&bytes), bytes.len());
    to.process_new_packets(UnixTime::now()).unwrap();
}

/// Application data flows both ways on a pair.
fn assert_data_flows(c: &mut Connection, s: &mut Connection) {
    c.send(b"ping").unwrap();
    s.send(b"pong").unwrap();
    deliver(c, s);
    deliver(s, c);
    let mut buf = [0u8; 8];
    let n = s.recv(&mut buf);
    assert_eq!(&buf[..n], b"ping");
    let n = c.recv(&mut buf);
    assert_eq!(&buf[..n], b"pong");
}

#[test]
fn resumes_with_cached_session_id() {
    let pki = Pki::new();
    let client = Arc::new(client_config_tls12(&pki));
    let server = Arc::new(ids_only(server_config_tls12(&pki)));
    let (c1, s1) = connect(&client, &server);
    assert_full(&c1, &s1);
    assert_eq!(
        c1.info().session_id.len(),
        32,
        "a full handshake gets a fresh 32-byte session ID"
    );
    let (mut c2, mut s2) = connect(&client, &server);
    assert_eq!(c2.info().resumed, Some(Resumption::SessionId));
    assert_eq!(s2.info().resumed, Some(Resumption::SessionId));
    assert_eq!(
        c2.info().session_id,
        c1.info().session_id,
        "the server echoes the session ID"
    );
    assert_eq!(c2.info().cipher_suite, c1.info().cipher_suite);
    assert_data_flows(&mut c2, &mut s2);
    // The client keeps the cached session across a resumption: it resumes again.
    let (c3, s3) = connect(&client, &server);
    assert_eq!(c3.info().resumed, Some(Resumption::SessionId));
    assert_eq!(s3.info().resumed, Some(Resumption::SessionId));
    assert_eq!(c3.info().session_id, c1.info().session_id);
}

#[test]
fn resumes_with_ticket_and_reissues_one() {
    let pki = Pki::new();
    let client = Arc::new(client_config_tls12(&pki));
    let server = Arc::new(server_config_tls12(&pki));
    let (c1, s1) = connect(&client, &server);
    assert_full(&c1, &s1);
    let first_ticket = c1.session().unwrap().ticket().to_vec();
    assert!(!first_ticket.is_empty());
    let (mut c2, mut s2) = connect(&client, &server);
    assert_eq!(c2.info().resumed, Some(Resumption::Ticket));
    assert_eq!(s2.info().resumed, Some(Resumption::Ticket));
    assert_ne!(
        c2.session().unwrap().ticket(),
        first_ticket,
        "a fresh ticket on resumption"
    );
    assert_data_flows(&mut c2, &mut s2);
    let (c3, _) = connect(&client, &server);
    assert_eq!(
        c3.info().resumed,
        Some(Resumption::Ticket),
        "the reissued ticket works too"
    );
}

#[test]
fn no_resumption_when_both_mechanisms_are_off() {
    let pki = Pki::new();
    let client = Arc::new(client_config_tls12(&pki));
    let mut server = ids_only(server_config_tls12(&pki));
    server.session_ids = false;
    let server = Arc::new(server);
    let (c1, _) = connect(&client, &server);
    assert!(c1.info().session_id.is_empty());
    let (c2, s2) = connect(&client, &server);
    assert_full(&c2, &s2);
}

#[test]
fn falls_back_to_a_full_handshake_when_the_server_forgot() {
    let pki = Pki::new();
    let client = Arc::new(client_config_tls12(&pki));
    connect(&client, &Arc::new(server_config_tls12(&pki)));
    // A restarted server: new store, new ticket keys.
    let (c, s) = connect(&client, &Arc::new(server_config_tls12(&pki)));
    assert_full(&c, &s);
    connect(&client, &Arc::new(ids_only(server_config_tls12(&pki))));
    let (c, s) = connect(&client, &Arc::new(ids_only(server_config_tls12(&pki))));
    assert_full(&c, &s);
}

/// A server for `a.test` and `b.test` (ECDSA certificates from the test CA).
fn two_name_server(pki: &Pki) -> ServerConfig {
    let mut server = ServerConfig::new(Vec::new());
    for name in ["a.test", "b.test"] {
        let leaf = pki.ca.issue(&[name], KeyKind::EcdsaP256).unwrap();
        server.named_identities.push((
            name.into(),
            Identity::new(leaf.chain.clone(), &leaf.key_der()).unwrap(),
        ));
    }
    server
}

#[test]
fn never_resumes_a_session_under_another_server_name() {
    for tickets in [false, true] {
        let pki = Pki::new();
        let cache = Arc::new(MemoryStore::new(16));
        let mut client = client_config_tls12(&pki);
        client.session_cache = Some(cache.clone());
        let client = Arc::new(client);
        let mut server = two_name_server(&pki);
        if !tickets {
            server.tickets = None;
        }
        let server = Arc::new(server);
        connect_at(&client, &server, "a.test", UnixTime::now());
        // A client that offers a.test's session when it connects to b.test.
        cache.put(b"b.test".to_vec(), cache.get(b"a.test").unwrap());
        let (c, s) = connect_at(&client, &server, "b.test", UnixTime::now());
        assert_full(&c, &s);
        assert_eq!(s.info().server_name.as_deref(), Some("b.test"));
        // Resuming under the right name still works.
        let (c, _) = connect_at(&client, &server, "a.test", UnixTime::now());
        assert!(c.info().resumed.is_some(), "tickets: {tickets}");
    }
}

#[test]
fn never_resumes_an_expired_session() {
    for tickets in [false, true] {
        let pki = Pki::new();
        let client = Arc::new(client_config_tls12(&pki));
        let mut server = server_config_tls12(&pki);
        server.session_lifetime = Duration::from_secs(60);
        if !tickets {
            server.tickets = None;
        }
        let server = Arc::new(server);
        connect(&client, &server);
        let (c, _) = connect_at(&client, &server, "localhost", later(30));
        assert!(
            c.info().resumed.is_some(),
            "still fresh after 30 s (tickets: {tickets})"
        );
        let (c, s) = connect_at(&client, &server, "localhost", later(61));
        assert_full(&c, &s);
    }
}

fn client_with_cache(pki: &Pki) -> (Arc<ClientConfig>, Arc<MemoryStore>) {
    let cache = Arc::new(MemoryStore::new(16));
    let mut client = client_config_tls12(pki);
    client.session_cache = Some(cache.clone());
    (Arc::new(client), cache)
}

#[test]
fn never_resumes_from_a_tampered_ticket() {
    let pki = Pki::new();
    let (client, cache) = client_with_cache(&pki);
    let server = Arc::new(server_config_tls12(&pki));
    connect(&client, &server);
    tamper_cached_ticket(&cache);
    let (c, s) = connect(&client, &server);
    assert_full(&c, &s);
}

#[test]
fn never_resumes_from_a_ticket_sealed_by_another_server() {
    let pki = Pki::new();
    let (client, _) = client_with_cache(&pki);
    connect(&client, &Arc::new(server_config_tls12(&pki)));
    let mut other = server_config_tls12(&pki);
    other.tickets = Some(Arc::new(TicketKeys::new(
        Duration::from_secs(3600),
        Duration::from_secs(3600),
    )));
    let (c, s) = connect(&client, &Arc::new(other));
    assert_full(&c, &s);
}

/// RFC 7627 §5.3: "If the original session used the "extended_master_secret" extension but
/// the new ClientHello does not contain it, the server MUST abort the abbreviated handshake."
/// Read as OpenSSL and BoringSSL read it (see ARCHITECTURE.md): a fatal handshake_failure, not
/// a quiet full handshake. (The other direction, a session without the extension offered with
/// it, is a full handshake: `server::hello`'s table test.)
#[test]
fn a_session_with_the_extended_master_secret_offered_without_it_is_refused() {
    let pki = Pki::new();
    let (client, cache) = client_with_cache(&pki);
    let server = Arc::new(ids_only(server_config_tls12(&pki)));
    connect(&client, &server);
    let offered = Session::decode(&cache.get(b"localhost").unwrap())
        .unwrap()
        .session_id()
        .to_vec();
    assert!(!offered.is_empty());

    let mut c = Connection::client(Arc::clone(&client), "localhost".try_into().unwrap()).unwrap();
    let bytes = c.take_outgoing();
    let mut msg = HandshakeMessage::from_bytes(&bytes[5..]).unwrap();
    let P::ClientHello(hello) = &mut msg.payload else {
        unreachable!()
    };
    assert_eq!(hello.session_id, offered);
    hello
        .extensions
        .retain(|e| e.typ() != ExtensionType::ExtendedMasterSecret);
    let mut s = Connection::server(Arc::clone(&server)).unwrap();
    let err = expect_fatal(&mut s, &record(22, &msg.to_bytes()), A::HandshakeFailure);
    assert!(err.to_string().contains("extended master secret"), "{err}");
}

#[test]
fn the_server_session_store_stays_bounded() {
    let pki = Pki::new();
    let store = Arc::new(MemoryStore::new(8));
    let mut server = ids_only(server_config_tls12(&pki));
    server.session_store = store.clone();
    let server = Arc::new(server);
    let mut client = client_config_tls12(&pki);
    client.session_cache = None;
    let client = Arc::new(client);
    for _ in 0..40 {
        connect(&client, &server);
    }
    assert_eq!(
        store.len(),
        8,
        "the store keeps its bound, evicting the least recently used"
    );
}

#[test]
fn client_cache_is_per_server_name_and_bounded() {
    let pki = Pki::new();
    let cache = Arc::new(MemoryStore::new(2));
    let mut client = client_config_tls12(&pki);
    client.session_cache = Some(cache.clone());
    let client = Arc::new(client);
    let mut server = ServerConfig::new(Vec::new());
    for name in ["a.test", "b.test", "c.test"] {
        let leaf = pki.ca.issue(&[name], KeyKind::EcdsaP256).unwrap();
        server.named_identities.push((
            name.into(),
            Identity::new(leaf.chain.clone(), &leaf.key_der()).unwrap(),
        ));
    }
    let server = Arc::new(server);
    for name in ["a.test", "b.test", "c.test"] {
        connect_at(&client, &server, name, UnixTime::now());
    }
    assert_eq!(cache.len(), 2);
    assert!(cache.get(b"a.test").is_none() && cache.get(b"c.test").is_some());
}
