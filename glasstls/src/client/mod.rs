//! The client: the ClientHello (`hello`), the ServerHello that settles the version (here), and
//! each version's flow (`tls12`, `tls13`), one struct per expected message.
//!
//! ```text
//!   Connection::client ──ClientHello──► ExpectServerHello
//!       ──HelloRetryRequest──► (second ClientHello) ExpectServerHello
//!       ──ServerHello, TLS 1.3──► tls13::ExpectEncryptedExtensions …
//!       ──ServerHello, TLS 1.2──► tls12::ExpectCertificate … (or the abbreviated handshake)
//! ```

mod auth;
mod chain;
mod ech;
mod hello;
mod tls12;
mod tls13;

use crate::config::ClientConfig;
use crate::conn::{Connection, Core, Input, State};
use crate::error::{Error, Expected, InternalError, PeerIncompatible, PeerMisbehaved};
use crate::side::Side;
use crate::wire::{
    DOWNGRADE_TLS12, ExtensionType, HandshakePayload as P, HandshakeType, ProtocolVersion,
    ServerHello,
};
use hello::ExpectServerHello;
use rustls_pki_types::{ServerName, UnixTime};
use std::sync::Arc;

impl Connection {
    /// A client connection to `server_name`; its ClientHello is queued at once in
    /// [`Connection::outgoing_tls`]. The system clock says which cached session is still valid
    /// and how old its ticket is: [`Connection::client_at`] takes the time instead.
    pub fn client(
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
    ) -> Result<Self, Error> {
        Self::client_at(config, server_name, UnixTime::now())
    }

    /// [`Connection::client`] at `now`: a cached session past its lifetime is not offered (RFC
    /// 8446 §4.6.1: clients "MUST NOT cache tickets for longer than" their lifetime), and a
    /// TLS 1.3 ticket's age is reported from it (§4.2.11.1).
    pub fn client_at(
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
        now: UnixTime,
    ) -> Result<Self, Error> {
        config.common.check()?;
        let mut core = Core::new(Side::Client, &config.common);
        core.now = now;
        let sent = hello::send_client_hello(config, server_name, &mut core)?;
        Ok(Self::new(core, Box::new(sent)))
    }
}

/// What a ServerHello (or HelloRetryRequest) answers a ClientHello with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    /// RFC 8446 §4.1.4: a HelloRetryRequest.
    Retry,
    Tls13,
    Tls12,
}

/// RFC 8446 §4.1.3 and §4.2.1: which version the server chose, from the ServerHello alone.
fn answer(
    offered13: bool,
    offered12: bool,
    after_retry: bool,
    hello: &ServerHello,
) -> Result<Answer, Error> {
    // RFC 8446 §4.1.4: a HelloRetryRequest carries supported_versions like a ServerHello, and
    // §4.2.1: one naming anything but TLS 1.3 "MUST" be refused with illegal_parameter.
    // RFC 8446 §4.1.3: in TLS 1.3 "the legacy_version field MUST be set to 0x0303".
    let legacy_ok = hello.server_version == ProtocolVersion::TLSv1_2;
    if offered13 && hello.is_retry_request() {
        if hello.selected_version() != ProtocolVersion::TLSv1_3 {
            return Err(PeerMisbehaved::SupportedVersionsNotTls13.into());
        }
        if !legacy_ok {
            return Err(PeerIncompatible::ServerChoseVersion(hello.server_version).into());
        }
        return Ok(Answer::Retry);
    }
    if offered13 && hello.selected_version() == ProtocolVersion::TLSv1_3 {
        if !legacy_ok {
            return Err(PeerIncompatible::ServerChoseVersion(hello.server_version).into());
        }
        return Ok(Answer::Tls13);
    }
    // A server that negotiates TLS 1.2 sends no supported_versions; one that names anything
    // but TLS 1.3 there is broken.
    if hello.find(ExtensionType::SupportedVersions).is_some() {
        return Err(PeerMisbehaved::SupportedVersionsNotTls13.into());
    }
    if after_retry {
        return Err(PeerMisbehaved::Tls12AfterRetry.into());
    }
    // "TLS 1.3 clients receiving a ServerHello indicating TLS 1.2 or below MUST check that
    // the last 8 bytes are not equal to either of these values. ... If a match is found, the
    // client MUST abort the handshake with an "illegal_parameter" alert."
    if offered13 && hello.random.get(24..) == Some(&DOWNGRADE_TLS12[..]) {
        return Err(PeerMisbehaved::DowngradeDetected.into());
    }
    // RFC 5246 §7.4.1.3 / Appendix E.1: TLS 1.2 is the oldest we speak, and only when it is
    // enabled.
    if hello.server_version != ProtocolVersion::TLSv1_2 || !offered12 {
        return Err(PeerIncompatible::ServerChoseVersion(hello.server_version).into());
    }
    Ok(Answer::Tls12)
}

/// The ClientHello's data is the state that waits for the answer: handed on in its box, never
/// copied (it holds the key shares and the PSK's Early Secret).
impl State for ExpectServerHello {
    fn expects(&self) -> Expected {
        Expected::Message(HandshakeType::ServerHello)
    }

    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        let (P::ServerHello(hello), raw) = input.expect(HandshakeType::ServerHello)? else {
            return Err(InternalError::StateInvariant.into());
        };
        match answer(
            self.offered13,
            self.offered12,
            self.retry_suite.is_some(),
            &hello,
        )? {
            Answer::Retry => tls13::hello_retry(self, core, hello, raw),
            Answer::Tls13 => tls13::server_hello(self, core, hello, raw),
            Answer::Tls12 => tls12::server_hello(self, core, hello, raw),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{CipherSuite, Extension, HELLO_RETRY_REQUEST_RANDOM};

    fn server_hello(
        version: ProtocolVersion,
        random: [u8; 32],
        exts: Vec<Extension>,
    ) -> ServerHello {
        ServerHello {
            server_version: version,
            random,
            session_id: Vec::new(),
            cipher_suite: CipherSuite::TLS_AES_128_GCM_SHA256,
            compression_method: 0,
            extensions: exts,
        }
    }

    #[test]
    fn the_server_hello_alone_says_which_version_was_chosen() {
        let v12 = ProtocolVersion::TLSv1_2;
        let selects13 = || vec![Extension::SelectedVersion(ProtocolVersion::TLSv1_3)];
        let mut downgrade = [5; 32];
        downgrade[24..].copy_from_slice(&DOWNGRADE_TLS12);
        let cases: [(bool, bool, ServerHello, Result<Answer, Error>); 8] = [
            (
                true,
                false,
                server_hello(v12, [1; 32], selects13()),
                Ok(Answer::Tls13),
            ),
            (
                true,
                false,
                server_hello(v12, HELLO_RETRY_REQUEST_RANDOM, selects13()),
                Ok(Answer::Retry),
            ),
            (
                true,
                false,
                server_hello(v12, [1; 32], vec![]),
                Ok(Answer::Tls12),
            ),
            // A TLS 1.2-only client reads a TLS 1.3 answer's supported_versions as broken.
            (
                false,
                false,
                server_hello(v12, [1; 32], selects13()),
                Err(PeerMisbehaved::SupportedVersionsNotTls13.into()),
            ),
            (
                true,
                false,
                server_hello(v12, [1; 32], vec![Extension::SelectedVersion(v12)]),
                Err(PeerMisbehaved::SupportedVersionsNotTls13.into()),
            ),
            (
                true,
                true,
                server_hello(v12, [1; 32], vec![]),
                Err(PeerMisbehaved::Tls12AfterRetry.into()),
            ),
            (
                true,
                false,
                server_hello(v12, downgrade, vec![]),
                Err(PeerMisbehaved::DowngradeDetected.into()),
            ),
            (
                false,
                false,
                server_hello(ProtocolVersion::TLSv1_1, [1; 32], vec![]),
                Err(PeerIncompatible::ServerChoseVersion(ProtocolVersion::TLSv1_1).into()),
            ),
        ];
        for (i, (offered13, after_retry, hello, expected)) in cases.into_iter().enumerate() {
            assert_eq!(
                answer(offered13, true, after_retry, &hello),
                expected,
                "case {i}"
            );
        }
        // Only a client that offered TLS 1.3 checks the sentinel.
        assert_eq!(
            answer(false, true, false, &server_hello(v12, downgrade, vec![])),
            Ok(Answer::Tls12)
        );
        // A TLS 1.3-only client answered with TLS 1.2: the version, not the suite, is wrong.
        assert_eq!(
            answer(true, false, false, &server_hello(v12, [1; 32], vec![])),
            Err(PeerIncompatible::ServerChoseVersion(v12).into())
        );
    }
}
