//! glasstls: TLS 1.2 written from the RFCs, in which every step of the handshake can be seen.
//!
//! The core is sans-IO: a [`Connection`] takes bytes, returns bytes, and reports what happened
//! as trace [`Event`]s; it never touches a socket or reads a clock (time is an argument).
//! [`Stream`] drives a connection over any `Read + Write`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use glasstls::{ClientConfig, Connection, RootStore, Stream};
//! let config = Arc::new(ClientConfig::new(RootStore::system()?));
//! let name = "example.com".try_into().unwrap();
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

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::indexing_slicing))]

mod buffer;
mod client;
mod client13;
pub mod config;
mod conn;
pub mod crypto;
pub mod error;
pub mod keylog;
pub mod keys;
pub mod keys13;
pub mod record;
mod server;
mod server13;
pub mod session;
pub mod stream;
mod tls13;
pub mod trace;
pub mod verify;
pub mod wire;
pub mod x509;

pub use config::{ClientConfig, Common, Identity, ServerConfig};
pub use conn::{Connection, HandshakeInfo, Side};
pub use error::Error;
pub use keylog::{KeyLog, KeyLogFile};
pub use rustls_pki_types::{self as pki_types, ServerName, UnixTime};
pub use stream::Stream;
pub use trace::Event;
pub use verify::{CertificateError, RootStore};
