//! glasstls: TLS 1.3 and TLS 1.2, client and server, written from the RFCs, in which every
//! step of the handshake can be seen.
//!
//! The core is sans-IO: a [`Connection`] takes bytes, returns bytes, and reports what happened
//! as typed trace [`Event`]s; it never touches a socket or reads a clock (time is an argument).
//! [`Stream`] drives a connection over any `Read + Write`.
//!
//! # A client
//!
//! ```no_run
//! use std::sync::Arc;
//! use glasstls::{ClientConfig, Connection, RootStore, Stream};
//! let config = Arc::new(ClientConfig::new(RootStore::system()?));
//! let name = "example.com".try_into()?;
//! let tcp = std::net::TcpStream::connect("example.com:443")?;
//! let mut tls = Stream::new(Connection::client(config, name)?, tcp);
//! // Optional: the whole handshake within 10 s, no read or write waiting over 60 s.
//! tls.set_timeouts(glasstls::stream::Timeouts {
//!     handshake: Some(std::time::Duration::from_secs(10)),
//!     idle: Some(std::time::Duration::from_secs(60)),
//! });
//! std::io::Write::write_all(&mut tls, b"GET / HTTP/1.0\r\nHost: example.com\r\n\r\n")?;
//! let mut status = String::new();
//! std::io::BufRead::read_line(&mut tls, &mut status)?; // straight from the decrypted bytes
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # A server
//!
//! ```no_run
//! use std::sync::Arc;
//! use glasstls::{Connection, Identity, ServerConfig, Stream};
//! let identity = Identity::from_pem_files("cert.pem", "key.pem")?;
//! let config = Arc::new(ServerConfig::new(vec![identity]));
//! let listener = std::net::TcpListener::bind("127.0.0.1:8443")?;
//! for tcp in listener.incoming() {
//!     let mut tls = Stream::new(Connection::server(Arc::clone(&config))?, tcp?);
//!     std::io::Write::write_all(&mut tls, b"hello\n")?;
//!     tls.close()?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The sans-IO loop, in memory
//!
//! A client and a server wired to each other: each side's [`Connection::outgoing_tls`] is the
//! other's [`Connection::read_tls`]. This is all [`Stream`] does over a socket.
//!
//! ```
//! # fn configs() -> (glasstls::ClientConfig, glasstls::ServerConfig) {
//! #     let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
//! #     let mut roots = glasstls::RootStore::empty();
//! #     roots.add(certified.cert.der()).unwrap();
//! #     let key = glasstls::pki_types::PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
//! #     let identity = glasstls::Identity::new(vec![certified.cert.der().clone()], &key.into()).unwrap();
//! #     (glasstls::ClientConfig::new(roots), glasstls::ServerConfig::new(vec![identity]))
//! # }
//! use std::sync::Arc;
//! use glasstls::{Connection, UnixTime};
//!
//! /// Hands everything `from` has to send to `to`, as a transport would.
//! fn transfer(from: &mut Connection, to: &mut Connection) -> Result<(), glasstls::Error> {
//!     let bytes = from.take_outgoing();
//!     let mut rest = &bytes[..];
//!     while !rest.is_empty() {
//!         let n = to.read_tls(rest);
//!         rest = &rest[n..];
//!         to.process_new_packets(UnixTime::now())?;
//!     }
//!     Ok(())
//! }
//!
//! let (client_config, server_config) = configs(); // trusting a throw-away certificate
//! let mut client = Connection::client(Arc::new(client_config), "localhost".try_into()?)?;
//! let mut server = Connection::server(Arc::new(server_config))?;
//! client.send(b"ping")?; // held until the handshake is done, then sent
//! while client.is_handshaking() || server.plaintext_available() == 0 {
//!     transfer(&mut client, &mut server)?;
//!     transfer(&mut server, &mut client)?;
//! }
//! assert_eq!(server.received(), b"ping");
//! assert_eq!(client.info().version, Some(glasstls::Version::Tls13));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Resumption
//!
//! A [`ClientConfig`] keeps sessions per server name in its `session_cache` and offers them
//! again: the next connection to the same name resumes, and [`HandshakeInfo::resumed`] says
//! how. A [`ServerConfig`] resumes by session ID (`session_store`) or ticket (`tickets`, the
//! default, which a fleet can share).
//!
//! ```
//! # let pki = glasstls_test::Pki::new();
//! # let connect = |c: &Arc<ClientConfig>, s: &Arc<ServerConfig>| {
//! #     let mut pair = glasstls_test::Pair::from_arcs(c, s, "localhost");
//! #     pair.handshake(); // in memory, as in the example above
//! #     pair.client
//! # };
//! use std::sync::Arc;
//! use glasstls::{ClientConfig, ServerConfig, session::Resumption};
//!
//! // One client config (so one session cache) for every connection.
//! let client = Arc::new(ClientConfig::new(pki.roots()));
//! let server = Arc::new(ServerConfig::new(pki.identities()));
//! assert_eq!(connect(&client, &server).info().resumed, None);
//! assert_eq!(connect(&client, &server).info().resumed, Some(Resumption::Ticket));
//! ```
//!
//! # SNI: one address, a certificate per name
//!
//! `named_identities` chooses the certificate by the name the client asks for (RFC 6066 §3),
//! exactly or by `*.domain`; a client that names none, or a name the server does not know,
//! gets the default `identities`.
//!
//! ```
//! # let pki = glasstls_test::Pki::new();
//! # let issue = |name: &str| {
//! #     let leaf = pki.ca.issue(&[name], glasstls_test::KeyKind::EcdsaP256).unwrap();
//! #     Identity::new(leaf.chain.clone(), &leaf.key_der()).unwrap()
//! # };
//! # let connect = |c: &Arc<ClientConfig>, s: &Arc<ServerConfig>, name: &str| {
//! #     let mut pair = glasstls_test::Pair::from_arcs(c, s, name);
//! #     pair.handshake();
//! #     pair.client
//! # };
//! use std::sync::Arc;
//! use glasstls::{ClientConfig, Identity, ServerConfig};
//!
//! let mut server = ServerConfig::new(vec![issue("localhost")]);
//! server.named_identities.push(("shop.example".into(), issue("shop.example")));
//! let (server, client) = (Arc::new(server), Arc::new(ClientConfig::new(pki.roots())));
//! let shop = connect(&client, &server, "shop.example");
//! let subject = glasstls::trace::CertificateSummary::of(&shop.info().peer_certificates[0]);
//! assert!(subject.subject.starts_with("CN=shop.example"));
//! ```
//!
//! # The key log
//!
//! A [`KeyLog`] in `common.key_log` receives the secrets Wireshark needs (NSS key log labels);
//! [`KeyLogFile`] writes them to a file, as `SSLKEYLOGFILE` does elsewhere.
//!
//! ```
//! # let pki = glasstls_test::Pki::new();
//! use std::sync::{Arc, Mutex};
//! use glasstls::{ClientConfig, KeyLog, ServerConfig};
//!
//! #[derive(Default)]
//! struct Labels(Mutex<Vec<String>>);
//! impl KeyLog for Labels {
//!     fn log(&self, label: &str, _client_random: &[u8], _secret: &[u8]) {
//!         self.0.lock().unwrap().push(label.to_string());
//!     }
//! }
//!
//! let labels = Arc::new(Labels::default());
//! let mut client = ClientConfig::new(pki.roots());
//! client.common.key_log = Some(labels.clone());
//! let server = ServerConfig::new(pki.identities());
//! glasstls_test::Pair::new(client, server).handshake();
//! assert_eq!(
//!     *labels.0.lock().unwrap(),
//!     [
//!         "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
//!         "SERVER_HANDSHAKE_TRAFFIC_SECRET",
//!         "CLIENT_TRAFFIC_SECRET_0",
//!         "SERVER_TRAFFIC_SECRET_0",
//!         "EXPORTER_SECRET",
//!     ]
//! );
//! ```
//!
//! See `ARCHITECTURE.md` for the shape of the crate.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::indexing_slicing))]

mod client;
pub mod config;
mod conn;
mod crypto;
pub mod ech;
pub mod error;
mod exporter;
pub mod hpke;
mod keylog;
mod record;
mod server;
pub mod session;
mod side;
pub mod stream;
#[cfg(test)]
mod test_util;
mod tls12;
mod tls13;
pub mod trace;
mod verify;
mod version;
mod wire;
mod x509;

pub use config::{
    ClientAuth, ClientConfig, Common, HelloInfo, Identity, IdentityResolver, ServerConfig,
};
pub use conn::{Connection, EchStatus, HandshakeInfo};
pub use error::Error;
pub use keylog::{KeyLog, KeyLogFile};
pub use record::fatal_alert_record;
pub use rustls_pki_types::{self as pki_types, ServerName, UnixTime};
pub use server::peek;
pub use side::Side;
pub use stream::Stream;
pub use trace::Event;
pub use verify::{CertificateError, ClientCertVerifier, RootStore, ServerCertVerifier};
pub use version::Version;
pub use wire::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, ExtensionType, HandshakeType,
    InvalidMessage, NamedGroup, ProtocolVersion, SignatureScheme, is_grease,
};

/// Internals that glasstls's own benchmark, fuzz targets and tests reach into. Not part of the
/// API: anything here may change in any release.
#[doc(hidden)]
pub mod internal {
    /// The wire format: the codec, every message and extension.
    pub mod wire {
        pub use crate::wire::codec::*;
        pub use crate::wire::*;
    }
    /// The record layer.
    pub mod record {
        pub use crate::record::*;
    }
    /// Suites, AEADs, hashes, key shares, signing keys.
    pub mod crypto {
        pub use crate::crypto::*;
    }
    /// The TLS 1.2 PRF and its derivations.
    pub mod tls12 {
        pub use crate::tls12::prf::*;
    }
    /// The TLS 1.3 key schedule: traffic keys and IVs from a traffic secret.
    pub mod tls13 {
        pub use crate::tls13::key_schedule::traffic_key_and_iv;
    }
    pub use crate::verify::verify_server_chain;
}

/// The README's Rust examples, compiled (and, where they need no network, run) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
