//! The contract between the connection and the handshake states: [`State`], the [`Input`] a
//! state is handed, the one place an unexpected message becomes an error, and the proof tokens
//! a traffic state must hold.

use super::Core;
use crate::error::{Error, Expected, Misuse, Received, UnexpectedMessage};
use crate::side::Side;
use crate::verify::{ClientCertVerified, HandshakeSignatureVerified, ServerCertVerified};
use crate::wire::{HandshakeMessage, HandshakePayload, HandshakeType};

/// What the connection hands a handshake state.
pub(crate) enum Input<'a> {
    /// A whole handshake message, decoded, with its bytes as received (for the transcript).
    Handshake {
        msg: HandshakeMessage,
        raw: &'a [u8],
    },
    /// A TLS 1.2 ChangeCipherSpec.
    ChangeCipherSpec,
}

impl<'a> Input<'a> {
    /// The message a state expects, with its bytes: checked by type first, in one place, so
    /// that anything else is unexpected_message (STYLE habit 4). The payload's shape follows
    /// from the type and the version the message was decoded in.
    pub(crate) fn expect(self, typ: HandshakeType) -> Result<(HandshakePayload, &'a [u8]), Error> {
        match self {
            Self::Handshake { msg, raw } if msg.typ() == typ => Ok((msg.payload, raw)),
            other => Err(unexpected(Expected::Message(typ), &other)),
        }
    }

    fn received(&self) -> Received {
        match self {
            Self::Handshake { msg, .. } => Received::Message(msg.typ()),
            Self::ChangeCipherSpec => Received::ChangeCipherSpec,
        }
    }
}

/// One struct per expected message; each consumes itself and returns the next state.
pub(crate) trait State: Send {
    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error>;

    /// What this state takes next. A handshake message of any other type is refused from its
    /// header alone, before its body is buffered or decoded (RFC 8446 §4: "a peer which
    /// receives a handshake message in an unexpected order MUST abort the handshake with an
    /// "unexpected_message" alert"), so a hostile peer gets no further than four bytes.
    fn expects(&self) -> Expected;

    /// Asks the peer to update its keys and updates ours (TLS 1.3 traffic only).
    fn request_key_update(&mut self, _core: &mut Core) -> Result<(), Error> {
        Err(Error::Misuse(Misuse::KeyUpdateNeedsTls13))
    }

    /// Sends the KeyUpdate the peer asked for, if one is owed (TLS 1.3 traffic), before our
    /// next application data.
    fn answer_key_update(&mut self, _core: &mut Core) -> Result<(), Error> {
        Ok(())
    }
}

/// The one place an unexpected message becomes an error (STYLE habit 4).
pub(crate) fn unexpected(expected: Expected, input: &Input<'_>) -> Error {
    Error::UnexpectedMessage(UnexpectedMessage::OutOfOrder {
        expected,
        got: input.received(),
    })
}

/// Proof that the peer's Finished (RFC 5246 §7.4.9, RFC 8446 §4.4.4) matched. Made only by
/// [`FinishedVerified::check`], a constant-time comparison.
pub(crate) struct FinishedVerified(());

impl FinishedVerified {
    /// RFC 5246 §7.4.9: "Recipients of Finished messages MUST verify that the contents are
    /// correct." Compared in constant time. The length is not secret, and a Finished of another
    /// length is not a Finished at all: it is malformed (decode_error, RFC 8446 §6), not a wrong
    /// value (decrypt_error).
    pub(crate) fn check(expected: &[u8], received: &[u8]) -> Result<Self, Error> {
        if expected.len() != received.len() {
            return Err(crate::wire::InvalidMessage::BadLength("Finished").into());
        }
        if crate::crypto::equal_in_constant_time(expected, received) {
            Ok(Self(()))
        } else {
            Err(crate::error::DecryptError::Finished.into())
        }
    }
}

/// Proof that the peer is who it must be. A server does not authenticate clients (yet).
pub(crate) enum PeerAuthenticated {
    /// The client verified the server's chain and that the server holds its key.
    Server {
        _chain: ServerCertVerified,
        _key: KeyPossession,
    },
    /// A client resumed a session from its cache, which holds only sessions whose full
    /// handshake verified the server (or that the application loaded on purpose), and the
    /// server proved it holds that session's secret by its Finished.
    ServerResumed,
    /// A server, which asks no client certificate.
    ClientNotRequested,
    /// A server that verified the client's chain and its CertificateVerify.
    Client {
        _chain: ClientCertVerified,
        _key: HandshakeSignatureVerified,
    },
    /// A server that asked for a certificate where one is optional, and got none.
    ClientAnonymous,
    /// A server that resumed a session: the client is who it was in that session's full
    /// handshake, proved by its Finished under the session's secret.
    ClientResumed,
}

/// How the server proved it holds the certificate's private key.
pub(crate) enum KeyPossession {
    /// It signed the handshake (ServerKeyExchange, CertificateVerify).
    Signed(HandshakeSignatureVerified),
    /// TLS 1.2 RSA key exchange: only the certificate's key decrypts the pre-master secret,
    /// and the server's Finished (which the traffic state also requires) proves it did.
    RsaKeyTransport,
}

impl PeerAuthenticated {
    /// The side that holds this proof (it authenticated the other).
    pub(crate) fn holder(&self) -> Side {
        match self {
            Self::Server { .. } | Self::ServerResumed => Side::Client,
            Self::ClientNotRequested
            | Self::Client { .. }
            | Self::ClientAnonymous
            | Self::ClientResumed => Side::Server,
        }
    }

    pub(crate) fn client(chain: ClientCertVerified, key: HandshakeSignatureVerified) -> Self {
        Self::Client {
            _chain: chain,
            _key: key,
        }
    }

    pub(crate) fn server(chain: ServerCertVerified, key: KeyPossession) -> Self {
        Self::Server {
            _chain: chain,
            _key: key,
        }
    }
}
