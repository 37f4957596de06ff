//! Typed errors, and the one function that chooses the alert an error sends: [`Error::alert`].

use crate::verify::CertificateError;
use crate::wire::{AlertDescription, InvalidMessage};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The peer's bytes did not decode.
    Decode(InvalidMessage),
    /// A message or record arrived that the current state does not allow.
    UnexpectedMessage { expected: &'static str, got: String },
    /// A well-formed value the protocol forbids here.
    IllegalParameter(&'static str),
    /// No acceptable set of parameters (suite, group, signature scheme) in common.
    HandshakeFailure(&'static str),
    /// The peer offered or chose a protocol version we do not speak.
    ProtocolVersion(String),
    /// The peer sent an extension it must not send here (RFC 5246 §7.4.1.4).
    UnsupportedExtension(String),
    /// A record failed authentication or decryption.
    BadRecordMac,
    /// A record longer than the protocol allows.
    RecordOverflow,
    /// The peer's Finished or signature did not verify.
    DecryptError(&'static str),
    /// The peer's certificate chain is not acceptable.
    Certificate(CertificateError),
    /// The peer sent this fatal alert.
    AlertReceived(AlertDescription),
    /// The peer asked to renegotiate; RFC 5746 lets us refuse and we always do.
    NoRenegotiation,
    /// RFC 8446 §9.2: a mandatory extension is missing.
    MissingExtension(&'static str),
    /// RFC 7301 §3.2: no application protocol in common.
    NoApplicationProtocol,
    /// We do not hold a certificate for the name the client asked for (RFC 6066 §3).
    UnrecognizedName(String),
    /// The connection was already closed or failed.
    ConnectionClosed,
    /// A misuse of the API or a configuration problem; nothing reached the wire.
    General(String),
    /// A failure on our side that the peer did not cause.
    Internal(&'static str),
}

impl Error {
    /// The alert to send for this error, or `None` when no alert is due (the peer already
    /// sent one, or the error never touched the connection). Architecture invariant: this is
    /// the only place an error is mapped to an alert.
    pub fn alert(&self) -> Option<AlertDescription> {
        use AlertDescription as A;
        Some(match self {
            Self::Decode(InvalidMessage::IllegalValue(_)) => A::IllegalParameter,
            Self::Decode(InvalidMessage::DuplicateExtension(_)) => A::IllegalParameter,
            Self::Decode(InvalidMessage::TooLarge(_)) => A::IllegalParameter,
            Self::Decode(_) => A::DecodeError,
            Self::UnexpectedMessage { .. } => A::UnexpectedMessage,
            Self::IllegalParameter(_) => A::IllegalParameter,
            Self::HandshakeFailure(_) => A::HandshakeFailure,
            Self::ProtocolVersion(_) => A::ProtocolVersion,
            Self::UnsupportedExtension(_) => A::UnsupportedExtension,
            Self::BadRecordMac => A::BadRecordMac,
            Self::RecordOverflow => A::RecordOverflow,
            Self::DecryptError(_) => A::DecryptError,
            Self::Certificate(e) => e.alert(),
            Self::NoRenegotiation => A::NoRenegotiation,
            Self::UnrecognizedName(_) => A::UnrecognizedName,
            Self::NoApplicationProtocol => A::NoApplicationProtocol,
            Self::MissingExtension(_) => A::MissingExtension,
            Self::Internal(_) => A::InternalError,
            Self::AlertReceived(_) | Self::ConnectionClosed | Self::General(_) => return None,
        })
    }
}

impl From<InvalidMessage> for Error {
    fn from(e: InvalidMessage) -> Self {
        Self::Decode(e)
    }
}

impl From<CertificateError> for Error {
    fn from(e: CertificateError) -> Self {
        Self::Certificate(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "malformed message from the peer: {e}"),
            Self::UnexpectedMessage { expected, got } => {
                write!(f, "unexpected message: expected {expected}, got {got}")
            }
            Self::IllegalParameter(what) => write!(f, "the peer sent an illegal parameter: {what}"),
            Self::HandshakeFailure(what) => write!(f, "handshake failure: {what}"),
            Self::ProtocolVersion(what) => write!(f, "unsupported protocol version: {what}"),
            Self::UnsupportedExtension(what) => {
                write!(f, "the peer sent an extension it must not send: {what}")
            }
            Self::BadRecordMac => f.write_str("a record failed authentication (bad_record_mac)"),
            Self::RecordOverflow => f.write_str("the peer sent a record longer than allowed"),
            Self::DecryptError(what) => write!(f, "verification failed: {what}"),
            Self::Certificate(e) => write!(f, "certificate rejected: {e}"),
            Self::AlertReceived(a) => write!(f, "the peer sent a fatal alert: {a}"),
            Self::NoRenegotiation => {
                f.write_str("the peer asked to renegotiate, which glasstls refuses")
            }
            Self::UnrecognizedName(name) => {
                write!(f, "no certificate for the requested name {name:?}")
            }
            Self::NoApplicationProtocol => {
                f.write_str("no application protocol (ALPN) in common with the peer")
            }
            Self::MissingExtension(what) => write!(f, "the peer left out the {what} extension"),
            Self::ConnectionClosed => f.write_str("the connection is closed"),
            Self::General(what) => f.write_str(what),
            Self::Internal(what) => write!(f, "internal error: {what}"),
        }
    }
}

impl std::error::Error for Error {}
