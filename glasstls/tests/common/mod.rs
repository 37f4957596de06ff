//! What the core's integration tests share, on top of `glasstls-test` (the PKI, the one pump
//! loop, record surgery).
#![allow(dead_code, unused_imports)]

pub use glasstls::AlertDescription as A;
pub use glasstls_test::pki::{Ca, KeyKind, Leaf, Pki};
pub use glasstls_test::records::{
    Rec, expect_fatal, handshake, join, plaintext_alerts, record, records, split_records,
};
pub use glasstls_test::{hex_lines, pump, pump_at};

use glasstls::pki_types::PrivateKeyDer;
use glasstls::{
    ClientConfig, Connection, Error, Identity, RootStore, ServerConfig, UnixTime, Version,
};
use std::sync::Arc;

/// A client that trusts exactly one self-signed ECDSA P-256 certificate for "localhost", and a
/// server that holds it.
pub fn configs() -> (ClientConfig, ServerConfig) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let mut roots = RootStore::empty();
    roots.add(cert.der()).unwrap();
    let key_der = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    let identity = Identity::new(vec![cert.der().clone()], &key_der).unwrap();
    (ClientConfig::new(roots), ServerConfig::new(vec![identity]))
}

pub fn client_config(pki: &Pki) -> ClientConfig {
    pki.client_config()
}

pub fn server_config(pki: &Pki) -> ServerConfig {
    pki.server_config()
}

/// A client that speaks only TLS 1.2, for tests of TLS 1.2 mechanisms.
pub fn client_config_tls12(pki: &Pki) -> ClientConfig {
    let mut config = client_config(pki);
    config.common.versions = vec![Version::Tls12];
    config
}

/// A server that speaks only TLS 1.2.
pub fn server_config_tls12(pki: &Pki) -> ServerConfig {
    let mut config = server_config(pki);
    config.common.versions = vec![Version::Tls12];
    config
}

/// The ClientHello a glasstls client with `config` sends for `localhost`, changed by `change`,
/// as records (one, unless the change made it longer than 2^14 bytes).
pub fn hello_record(
    config: ClientConfig,
    change: impl FnOnce(&mut glasstls::internal::wire::ClientHello),
) -> Vec<u8> {
    use glasstls::internal::wire::{Codec, HandshakeMessage, HandshakePayload};
    let mut client = Connection::client(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let first = split_records(&client.take_outgoing());
    let mut msg = HandshakeMessage::from_bytes(&first[0].payload).unwrap();
    let HandshakePayload::ClientHello(hello) = &mut msg.payload else {
        unreachable!("a client's first message is its ClientHello")
    };
    change(hello);
    records(22, &msg.to_bytes())
}

/// A client for `localhost` and a server, nothing exchanged yet.
pub fn pair(client: ClientConfig, server: ServerConfig) -> (Connection, Connection) {
    let c = Connection::client(Arc::new(client), "localhost".try_into().unwrap()).unwrap();
    let s = Connection::server(Arc::new(server)).unwrap();
    (c, s)
}

/// Feeds `data` to `conn` (see `glasstls_test::deliver`), keeping the first error in `err`.
pub fn feed_all(conn: &mut Connection, data: &[u8], err: &mut Option<Error>) {
    feed_all_at(conn, data, err, UnixTime::now());
}

pub fn feed_all_at(conn: &mut Connection, data: &[u8], err: &mut Option<Error>, now: UnixTime) {
    if err.is_none() {
        if let Err(e) = glasstls_test::deliver(conn, data, now) {
            *err = Some(e);
        }
    }
}

/// Flips the last byte of the ticket in the session cached for localhost: the server must not
/// open it, and the client must get a full handshake.
pub fn tamper_cached_ticket(cache: &glasstls::session::MemoryStore) {
    use glasstls::session::{Session, SessionStore};
    let mut bytes = cache.get(b"localhost").unwrap();
    let ticket = Session::decode(&bytes).unwrap().ticket().to_vec();
    let at = bytes
        .windows(ticket.len())
        .position(|w| w == ticket.as_slice())
        .expect("the ticket is in the encoding");
    bytes[at + ticket.len() - 1] ^= 1;
    cache.put(b"localhost".to_vec(), bytes);
}

/// A glasstls client for `localhost` over a new TCP connection to `addr` (reads give up after
/// 30 s, so a test fails rather than hangs).
pub fn tls_client(
    config: Arc<ClientConfig>,
    addr: impl std::net::ToSocketAddrs,
) -> std::io::Result<glasstls::Stream<std::net::TcpStream>> {
    let tcp = std::net::TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let conn = Connection::client(config, "localhost".try_into().unwrap())
        .map_err(glasstls::stream::to_io)?;
    Ok(glasstls::Stream::new(conn, tcp))
}
