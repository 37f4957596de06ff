//! The server: the ClientHello that settles the version (here), what the server decides from
//! it (`hello`, pure functions), and each version's flow (`tls12`, `tls13`), one struct per
//! expected message.
//!
//! ```text
//!   Connection::server ──► ExpectClientHello
//!       ──TLS 1.3──► tls13::client_hello ──► … Traffic13
//!       ──TLS 1.2──► tls12::client_hello ──► … Traffic12 (full or abbreviated)
//! ```

mod auth;
mod ech;
mod hello;
pub mod peek;
mod tls12;
mod tls13;

use crate::config::ServerConfig;
use crate::conn::{Connection, Core, Input, State};
use crate::error::{ConfigError, Error, Expected, InternalError};
use crate::session::SessionStore;
use crate::side::Side;
use crate::trace::Decision;
use crate::version::Version;
use crate::wire::{ClientHello, Extension, HandshakePayload as P, HandshakeType};
use std::sync::Arc;

impl Connection {
    /// A server connection, waiting for a ClientHello.
    pub fn server(config: Arc<ServerConfig>) -> Result<Self, Error> {
        Self::server_with(config, None)
    }

    fn server_with(
        config: Arc<ServerConfig>,
        store: Option<Arc<dyn SessionStore>>,
    ) -> Result<Self, Error> {
        if config.identities.is_empty()
            && config.named_identities.is_empty()
            && config.resolver.is_none()
        {
            return Err(ConfigError::NoIdentity.into());
        }
        config.common.check()?;
        let mut core = Core::new(Side::Server, &config.common);
        core.session_store = store;
        Ok(Self::new(core, Box::new(ExpectClientHello { config })))
    }

    /// A server connection that keeps and finds sessions in `store` rather than in
    /// `config.session_store`: a store made for this one connection, holding what a network
    /// cache answered for the keys its ClientHello names ([`crate::peek::peek_client_hello`]), so
    /// that the handshake never waits on the network. Everything else is `config`'s.
    pub fn server_with_session_store(
        config: Arc<ServerConfig>,
        store: Arc<dyn SessionStore>,
    ) -> Result<Self, Error> {
        Self::server_with(config, Some(store))
    }
}

/// The store a server connection keeps its sessions in: its own, or its config's.
pub(crate) fn session_store(core: &Core, config: &ServerConfig) -> Arc<dyn SessionStore> {
    Arc::clone(core.session_store.as_ref().unwrap_or(&config.session_store))
}

struct ExpectClientHello {
    config: Arc<ServerConfig>,
}

impl State for ExpectClientHello {
    fn expects(&self) -> Expected {
        Expected::Message(HandshakeType::ClientHello)
    }

    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        let (P::ClientHello(outer), raw) = input.expect(HandshakeType::ClientHello)? else {
            return Err(InternalError::StateInvariant.into());
        };
        // RFC 9849 §7.1: with ECH accepted the handshake runs on the inner ClientHello, and its
        // bytes are what the transcript holds.
        let opened = ech::open(&self.config, &outer, raw)?;
        core.info.ech = ech::status(&opened);
        let name = |hello: &ClientHello| {
            hello
                .server_name()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default()
        };
        match &opened {
            ech::Opened::Accepted(inner) => core.decide(|| Decision::EchAccepted {
                public_name: name(&outer),
                server_name: name(&inner.hello),
            }),
            ech::Opened::Rejected => core.decide(|| Decision::EchRejected {
                public_name: name(&outer),
            }),
            _ => {}
        }
        let (client_hello, inner_raw, retry) = match opened {
            ech::Opened::Accepted(inner) => {
                let ech::Inner {
                    hello,
                    bytes,
                    retry,
                } = *inner;
                core.trace_ech_inner(crate::trace::Direction::Received, &hello, &bytes);
                (hello, Some(bytes), Some(retry))
            }
            _ => (outer, None, None),
        };
        let raw = inner_raw.as_deref().unwrap_or(raw);
        let version = hello::choose_version(&self.config.common, &client_hello)?;
        // §7.2: a backend server confirms ECH only when it negotiates TLS 1.3.
        if version == Version::Tls12 {
            core.info.ech = crate::conn::EchStatus::NotOffered;
        }
        record_offer(core, &client_hello);
        match version {
            Version::Tls13 => {
                tls13::client_hello(self.config, core, client_hello, raw, None, retry)
            }
            Version::Tls12 => tls12::client_hello(self.config, core, client_hello, raw),
        }
    }
}

/// What the client offered, for [`crate::HandshakeInfo`].
fn record_offer(core: &mut Core, hello: &ClientHello) {
    core.info.offered_suites = hello.cipher_suites.clone();
    core.info.server_name = hello
        .server_name()
        .map(|n| String::from_utf8_lossy(n).into_owned());
    for ext in &hello.extensions {
        match ext {
            Extension::SupportedGroups(groups) => core.info.offered_groups = groups.clone(),
            Extension::Alpn(protocols) => core.info.offered_alpn = protocols.clone(),
            _ => {}
        }
    }
}
