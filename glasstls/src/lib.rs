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
//! # Resumption, SNI and the key log
//!
//! A [`ClientConfig`] keeps sessions per server name in its `session_cache` and offers them
//! again: the next [`Connection::client`] for the same name resumes, and
//! [`HandshakeInfo::resumed`] says how. A [`ServerConfig`] chooses its certificate by the name
//! the client asks for (`named_identities`, exact or `*.domain`), and resumes by session ID
//! (`session_store`) or ticket (`tickets`). A [`KeyLogFile`] in `common.key_log` writes the
//! NSS key log Wireshark reads.
//!
//! ```no_run
//! use std::sync::Arc;
//! use glasstls::{ClientConfig, Identity, KeyLogFile, RootStore, ServerConfig};
//! let mut server = ServerConfig::new(vec![Identity::from_pem_files("default.pem", "default.key")?]);
//! server.named_identities.push((
//!     "shop.example".into(),
//!     Identity::from_pem_files("shop.pem", "shop.key")?,
//! ));
//! let mut client = ClientConfig::new(RootStore::from_pem_file("ca.pem")?);
//! client.common.key_log = Some(Arc::new(KeyLogFile::open("keys.log")?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
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
pub mod error;
mod keylog;
mod record;
mod server;
pub mod session;
mod side;
pub mod stream;
mod tls12;
mod tls13;
pub mod trace;
mod verify;
mod version;
mod wire;
mod x509;

pub use config::{ClientConfig, Common, Identity, ServerConfig};
pub use conn::{Connection, HandshakeInfo};
pub use error::Error;
pub use keylog::{KeyLog, KeyLogFile};
pub use record::fatal_alert_record;
pub use rustls_pki_types::{self as pki_types, ServerName, UnixTime};
pub use side::Side;
pub use stream::Stream;
pub use trace::Event;
pub use verify::{CertificateError, RootStore};
pub use version::Version;
pub use wire::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, ExtensionType, HandshakeType,
    InvalidMessage, NamedGroup, ProtocolVersion, SignatureScheme,
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
    pub use crate::verify::verify_server_chain;
}

/// The README's Rust examples, compiled (and, where they need no network, run) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
