//! Typed errors, and the one function that chooses the alert an error sends: [`Error::alert`].
//!
//! Every reason is an enum a program can match (as rustls's `PeerMisbehaved` names them); the
//! sentence a person reads is its `Display`. All of them are `#[non_exhaustive]`: new reasons
//! arrive with new features.

use crate::wire::ProtocolVersion;
use crate::wire::{AlertDescription, ContentType, ExtensionType, HandshakeType, InvalidMessage};
use rustls_pki_types::UnixTime;
use std::fmt;

/// Why a connection failed, or why a call was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The peer's bytes did not decode.
    Decode(InvalidMessage),
    /// A message or record arrived that the current state does not allow.
    UnexpectedMessage(UnexpectedMessage),
    /// The peer sent a well-formed value that the protocol forbids where it sent it.
    PeerMisbehaved(PeerMisbehaved),
    /// The peer is well-behaved but wants what we do not offer (a version, a suite, a name).
    PeerIncompatible(PeerIncompatible),
    /// The peer sent an extension it must not send here (RFC 5246 §7.4.1.4).
    UnsupportedExtension(ExtensionType),
    /// A record failed authentication or decryption.
    BadRecordMac,
    /// A record longer than the protocol allows.
    RecordOverflow,
    /// The peer's Finished, binder or signature did not verify.
    DecryptError(DecryptError),
    /// The peer's certificate chain is not acceptable.
    Certificate(CertificateError),
    /// The peer sent this fatal alert.
    AlertReceived(AlertDescription),
    /// The connection was already closed or failed.
    ConnectionClosed,
    /// The configuration cannot work; nothing reached the wire.
    Config(ConfigError),
    /// A call the connection cannot honour in its current state; nothing reached the wire.
    Misuse(Misuse),
    /// A failure on our side that the peer did not cause.
    Internal(InternalError),
    /// Client: the server did not accept our Encrypted Client Hello (RFC 9849 §6.1.6); what
    /// it sent to retry with is inside.
    EchRejected(Box<crate::ech::EchRejection>),
}

impl Error {
    /// The alert to send for this error, or `None` when no alert is due (the peer already
    /// sent one, or the error never touched the connection). Architecture invariant: this is
    /// the only place an error is mapped to an alert, and it names every reason.
    pub fn alert(&self) -> Option<AlertDescription> {
        use AlertDescription as A;
        use PeerIncompatible as I;
        use PeerMisbehaved as M;
        Some(match self {
            Self::Decode(InvalidMessage::IllegalValue(_)) => A::IllegalParameter,
            // A declared length past every bound we keep is a message we cannot decode, not a
            // value the protocol forbids: decode_error (RFC 8446 §6). RFC 8446 §4.2 and RFC
            // 5246 §7.4.1.4: "There MUST NOT be more than one extension of the same type": a
            // block with two does not decode to a set of extensions (neither RFC names the
            // alert; decode_error, as BoringSSL and rustls send).
            Self::Decode(
                InvalidMessage::Truncated(_)
                | InvalidMessage::TrailingBytes(_)
                | InvalidMessage::BadLength(_)
                | InvalidMessage::TooLarge(_)
                | InvalidMessage::DuplicateExtension(_),
            ) => A::DecodeError,
            Self::UnexpectedMessage(_) => A::UnexpectedMessage,
            Self::PeerMisbehaved(M::EchInnerNotEmpty) => A::DecodeError,
            // RFC 5746 §3.4 and RFC 7627 §5.3 ask for handshake_failure.
            Self::PeerMisbehaved(
                M::NonEmptyRenegotiationInfo | M::ResumedWithOtherEms | M::EmsDroppedOnResumption,
            ) => A::HandshakeFailure,
            // RFC 7507 §3: "the server MUST respond with a fatal inappropriate_fallback alert".
            Self::PeerMisbehaved(M::InappropriateFallback) => A::InappropriateFallback,
            Self::PeerMisbehaved(
                M::DowngradeDetected
                | M::SuiteNotOffered
                | M::CompressionNotOffered
                | M::GroupNotOffered
                | M::AlpnNotOffered
                | M::SchemeNotOffered
                | M::SchemeDoesNotFitKey
                | M::ResumedWithOtherSuite
                | M::PskNotOffered
                | M::KeyShareForUnofferedGroup
                | M::SessionIdEchoMismatch
                | M::SuiteChangedAfterRetry
                | M::RetryGroupUnusable
                | M::RetryChangesNothing
                | M::RetrySelectedOtherVersion
                | M::Tls12AfterRetry
                | M::SupportedVersionsNotTls13
                | M::MisplacedEncryptedExtension
                | M::NonEmptyCertificateContext
                | M::EchInnerMalformed
                | M::EchOuterExtensions
                | M::EchPadding
                | M::EchSecondHelloChanged
                | M::EchAcceptanceLost
                | M::EchRejectedButResumed
                | M::PointFormatsWithoutUncompressed
                | M::Tls13CompressionNotNull
                | M::NoNullCompression
                | M::KeySharesDoNotMatchGroups
                | M::SecondHelloChanged
                | M::SecondHelloLacksShare
                | M::PskNotLast
                | M::InvalidKeyShare
                | M::CertificateKeyNotRsa,
            ) => A::IllegalParameter,
            Self::PeerIncompatible(
                I::VersionTooLow(_)
                | I::ServerChoseVersion(_)
                | I::ClientLacksTls13
                | I::NoVersionInCommon(_)
                | I::RecordVersion(_),
            ) => A::ProtocolVersion,
            Self::PeerIncompatible(I::NoApplicationProtocol) => A::NoApplicationProtocol,
            Self::PeerIncompatible(I::UnrecognizedName(_)) => A::UnrecognizedName,
            Self::PeerIncompatible(I::MissingExtension(_)) => A::MissingExtension,
            // RFC 8446 §4.4.2.4: "abort the handshake with a "certificate_required" alert".
            Self::PeerIncompatible(I::NoClientCertificateTls13) => A::CertificateRequired,
            Self::PeerIncompatible(
                I::NoCommonSuite
                | I::NoCommonSuiteTls13
                | I::NoCommonGroup
                | I::NoCertificateSchemeInCommon
                | I::ClientLacksEms
                | I::ServerLacksEms
                | I::NoNameAndNoDefaultCertificate
                | I::NoClientCertificate,
            ) => A::HandshakeFailure,
            Self::UnsupportedExtension(_) => A::UnsupportedExtension,
            Self::BadRecordMac => A::BadRecordMac,
            Self::RecordOverflow => A::RecordOverflow,
            Self::DecryptError(_) => A::DecryptError,
            Self::Certificate(e) => e.alert(),
            Self::Internal(_) => A::InternalError,
            // RFC 9849 §6.1.6: "abort the connection with an "ech_required" alert".
            Self::EchRejected(_) => A::EchRequired,
            Self::AlertReceived(_) | Self::ConnectionClosed | Self::Config(_) | Self::Misuse(_) => {
                return None;
            }
        })
    }
}

/// What the state machine expected when something else arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// This handshake message.
    Message(HandshakeType),
    /// One of these handshake messages.
    OneOf(&'static [HandshakeType]),
    /// A ChangeCipherSpec record (TLS 1.2).
    ChangeCipherSpec,
    /// Application data (the handshake is over).
    ApplicationData,
}

/// What arrived instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Received {
    /// A handshake message of this type.
    Message(HandshakeType),
    /// A ChangeCipherSpec record.
    ChangeCipherSpec,
}

/// A message or record the protocol does not allow now (alert unexpected_message).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnexpectedMessage {
    /// The state machine was waiting for another message.
    OutOfOrder {
        /// What the current state accepts.
        expected: Expected,
        /// What came.
        got: Received,
    },
    /// RFC 5246 §6.2.1: a record of another type between the fragments of a handshake message.
    Interleaved(ContentType),
    /// RFC 8446 §5.1: handshake bytes left in a record when the keys changed.
    SpansKeyChange,
    /// Handshake bytes after the last message of the peer's flight, in the same record: it
    /// cannot have read our answer yet, so nothing of its next flight can be there.
    AfterEndOfFlight,
    /// RFC 8446 §4.1.4: a second HelloRetryRequest.
    SecondHelloRetryRequest,
    /// RFC 8446 §5: a ChangeCipherSpec that is not the one compatibility record allowed.
    ChangeCipherSpecInTls13,
    /// Application data before the handshake finished.
    ApplicationDataBeforeHandshake,
    /// A record of a content type TLS does not define.
    UnknownRecordType(ContentType),
    /// More empty records or warning alerts in a row than we tolerate.
    TooManyEmptyRecordsOrWarnings {
        /// How many in a row we tolerate.
        limit: u32,
    },
    /// More warning alerts in a row than we tolerate.
    TooManyWarningAlerts {
        /// How many in a row we tolerate.
        limit: u32,
    },
    /// More KeyUpdates in a row than we answer.
    TooManyKeyUpdates {
        /// How many in a row we answer.
        limit: u32,
    },
    /// RFC 8446 §5.4: a protected record with no content type (only zeros).
    AllZeroRecord,
    /// RFC 8446 §5.1 and §5.4: a TLS 1.3 handshake or alert record with nothing in it.
    EmptyRecord(ContentType),
    /// RFC 8446 §4.2.10: more early data than we skip for a client we do not take it from.
    TooMuchEarlyData {
        /// How many bytes we skip.
        limit: usize,
    },
    /// RFC 8446 §5.2: a plaintext record where only protected ones may come.
    PlaintextRecord(ContentType),
}

/// The peer broke a rule of the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerMisbehaved {
    /// RFC 8446 §4.1.3: the TLS 1.2 ServerHello random carries the downgrade sentinel.
    DowngradeDetected,
    /// RFC 7507 §3: TLS_FALLBACK_SCSV from a client offering less than our highest version.
    InappropriateFallback,
    /// The handshake signature's scheme is for another kind of key than the certificate's.
    SchemeDoesNotFitKey,
    /// RFC 7627 §5.3: a session that used the extended master secret offered without it.
    EmsDroppedOnResumption,
    /// The server chose a cipher suite we did not offer.
    SuiteNotOffered,
    /// The server chose a compression method we did not offer.
    CompressionNotOffered,
    /// The server chose a key-exchange group we did not offer.
    GroupNotOffered,
    /// The server chose an ALPN protocol we did not offer.
    AlpnNotOffered,
    /// The peer signed with a scheme we did not offer (or one that does not fit).
    SchemeNotOffered,
    /// The server resumed a session under another cipher suite.
    ResumedWithOtherSuite,
    /// The server resumed with a different extended master secret state (RFC 7627 §5.3).
    ResumedWithOtherEms,
    /// The server selected a PSK we did not offer.
    PskNotOffered,
    /// The server's key share is for a group we sent no share for.
    KeyShareForUnofferedGroup,
    /// RFC 8446 §4.1.3: legacy_session_id_echo differs from what we sent.
    SessionIdEchoMismatch,
    /// RFC 8446 §4.1.4: the cipher suite changed after HelloRetryRequest.
    SuiteChangedAfterRetry,
    /// RFC 8446 §4.2.8: HelloRetryRequest asks for a group we cannot use.
    RetryGroupUnusable,
    /// RFC 8446 §4.1.4: HelloRetryRequest would not change the ClientHello.
    RetryChangesNothing,
    /// HelloRetryRequest selected a version other than TLS 1.3.
    RetrySelectedOtherVersion,
    /// The server fell back to TLS 1.2 after a HelloRetryRequest.
    Tls12AfterRetry,
    /// RFC 8446 §4.2.1: supported_versions selects a version other than TLS 1.3.
    SupportedVersionsNotTls13,
    /// RFC 8446 §4.2: an extension that does not belong in EncryptedExtensions.
    MisplacedEncryptedExtension,
    /// RFC 8446 §4.4.2: the server's certificate_request_context is not empty.
    NonEmptyCertificateContext,
    /// RFC 9849 §7.1: an inner ClientHello without the inner marker, or offering a version
    /// below TLS 1.3.
    EchInnerMalformed,
    /// RFC 9849 §5.1: ech_outer_extensions naming an extension the outer hello lacks, or out of
    /// order, twice, or encrypted_client_hello itself.
    EchOuterExtensions,
    /// RFC 9849 §7.1: EncodedClientHelloInner padding that is not zeros.
    EchPadding,
    /// RFC 9849 §5: an encrypted_client_hello of type inner with a body.
    EchInnerNotEmpty,
    /// RFC 9849 §7.1.1: a second ClientHelloOuter with another config, suite, or a non-empty
    /// enc than the first.
    EchSecondHelloChanged,
    /// RFC 9849 §6.1.5: a ServerHello that does not confirm the ECH acceptance its
    /// HelloRetryRequest confirmed.
    EchAcceptanceLost,
    /// RFC 9849 §6.1.2: a server that rejected ECH and resumes anyway (the outer hello offered
    /// no session).
    EchRejectedButResumed,
    /// RFC 8422 §5.2: ec_point_formats without the uncompressed format.
    PointFormatsWithoutUncompressed,
    /// RFC 5746 §3.4: a non-empty renegotiation_info on the initial handshake.
    NonEmptyRenegotiationInfo,
    /// RFC 8446 §4.1.2: a TLS 1.3 ClientHello must offer only null compression.
    Tls13CompressionNotNull,
    /// RFC 5246 §7.4.1.2: the client does not offer null compression.
    NoNullCompression,
    /// RFC 8446 §4.2.8: key shares for groups not in supported_groups, or two for one group.
    KeySharesDoNotMatchGroups,
    /// RFC 8446 §4.1.2: the second ClientHello changed what it may not.
    SecondHelloChanged,
    /// RFC 8446 §4.2.8: the second ClientHello lacks the share we asked for.
    SecondHelloLacksShare,
    /// RFC 8446 §4.2.11: pre_shared_key is not the last extension.
    PskNotLast,
    /// A key share that is not a valid public key for its group.
    InvalidKeyShare,
    /// RSA key exchange, but the server certificate does not hold an RSA key.
    CertificateKeyNotRsa,
}

/// The peer wants what we do not offer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerIncompatible {
    /// RFC 5246 Appendix E.1: the client offers at most this older version.
    VersionTooLow(ProtocolVersion),
    /// The server chose this version, which we do not speak.
    ServerChoseVersion(ProtocolVersion),
    /// TLS 1.3 is the only version enabled and the client does not offer it.
    ClientLacksTls13,
    /// RFC 8446 §4.2.1: the client's supported_versions lists no version we speak.
    NoVersionInCommon(Vec<ProtocolVersion>),
    /// A record header names a version that is not TLS.
    RecordVersion(ProtocolVersion),
    /// No TLS 1.2 suite, group and signature scheme in common.
    NoCommonSuite,
    /// No TLS 1.3 cipher suite in common.
    NoCommonSuiteTls13,
    /// No key-exchange group in common.
    NoCommonGroup,
    /// No certificate and signature scheme the client accepts.
    NoCertificateSchemeInCommon,
    /// RFC 7627 §5.3: the client does not offer the extended master secret we require.
    ClientLacksEms,
    /// RFC 7627 §5.2: the server does not support the extended master secret we require.
    ServerLacksEms,
    /// The client sent no server name and there is no default certificate.
    NoNameAndNoDefaultCertificate,
    /// RFC 6066 §3: no certificate for the name the client asked for.
    UnrecognizedName(String),
    /// RFC 7301 §3.2: no application protocol in common.
    NoApplicationProtocol,
    /// RFC 8446 §9.2: a mandatory extension is missing.
    MissingExtension(ExtensionType),
    /// RFC 5246 §7.4.6: we require a client certificate and the TLS 1.2 client sent none.
    NoClientCertificate,
    /// RFC 8446 §4.4.2.4: we require a client certificate and the TLS 1.3 client sent none.
    NoClientCertificateTls13,
}

/// What did not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecryptError {
    /// The peer's Finished does not match the handshake.
    Finished,
    /// RFC 8446 §4.2.11.2: the PSK binder does not verify.
    Binder,
    /// The ServerKeyExchange signature does not verify with the certificate's key.
    ServerKeyExchangeSignature,
    /// The CertificateVerify signature does not verify with the certificate's key.
    CertificateVerifySignature,
    /// The client's CertificateVerify signature does not verify with its certificate's key.
    ClientCertificateVerifySignature,
    /// RFC 9849 §7.1.1: the second ClientHelloOuter's payload does not open under the first
    /// one's HPKE context.
    EchSecondClientHello,
}

/// A configuration that cannot work.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A server needs at least one certificate and key.
    NoIdentity,
    /// No cipher suite is enabled for any enabled version.
    NoCipherSuite,
    /// A certificate chain needs at least one certificate.
    EmptyChain,
    /// An ECH public name must be 1 to 255 bytes (RFC 9849 §4).
    EchPublicName(String),
    /// An ECH key file that is not an X25519 PKCS #8 key and the ECHConfigList that matches it.
    EchKey,
    /// The private key is not a supported RSA, ECDSA or Ed25519 key.
    UnsupportedKey,
    /// `max_fragment_size` is outside 64..=16384.
    FragmentSize(usize),
    /// A file could not be read or parsed (`what` says what it should hold).
    File {
        /// The file's path, as given.
        path: String,
        /// What the file should hold ("certificates", "a private key").
        what: &'static str,
        /// Why it failed, in the reader's words.
        reason: String,
    },
    /// The private key is not the key of the end-entity certificate (every handshake would fail
    /// its signature check); the files, when the identity came from files.
    KeyMismatch {
        /// The certificate file and the key file.
        files: Option<(String, String)>,
    },
    /// An identity no enabled cipher suite can use (a TLS 1.2-only server whose suites all
    /// need another kind of key).
    NoSuiteForKey {
        /// The key's kind.
        key: &'static str,
    },
    /// A PEM file holds no certificate usable as a trust anchor.
    NoUsableRoot {
        /// The file's path, as given.
        path: String,
    },
}

/// A call the connection cannot honour now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Misuse {
    /// A key update needs a TLS 1.3 connection in its traffic state.
    KeyUpdateNeedsTls13,
    /// Record padding needs TLS 1.3 and must fit in one record.
    PaddingNeedsTls13,
    /// Keying material is exported only once the handshake is done.
    ExporterBeforeHandshake,
    /// RFC 7627 §5.4: a TLS 1.2 connection without the extended master secret exports nothing.
    ExporterNeedsExtendedMasterSecret,
    /// RFC 5705 §4: an exporter context is at most 2^16 - 1 bytes.
    ExporterContextTooLong,
    /// RFC 8446 §7.5: a TLS 1.3 exporter label is at most 249 bytes.
    ExporterLabelTooLong,
    /// RFC 8446 §7.5: a TLS 1.3 export is at most 255 hash lengths.
    ExporterOutputTooLong,
}

/// A failure on our side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InternalError {
    /// The system's random source failed.
    RandomSource,
    /// Generating a key pair or encapsulating to a key failed.
    KeyGeneration,
    /// Key material was refused by the primitive (wrong length).
    KeyMaterial,
    /// An encryption failed.
    Encryption,
    /// A signature could not be made with this key and scheme.
    Signing,
    /// The transcript hash was asked for before the hash was known.
    TranscriptNotStarted,
    /// A sequence number would wrap.
    SequenceExhausted,
    /// A record or buffer did not have the layout we built it with.
    RecordLayout,
    /// A state was reached without the keys or data it needs.
    StateInvariant,
    /// The ticket keys are unusable (a lock was poisoned).
    TicketKeys,
}

/// Why a certificate chain was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// The server sent an empty Certificate message.
    NoCertificate,
    /// A certificate did not parse as X.509.
    BadEncoding(String),
    /// No path leads from the chain to a trusted root.
    UnknownIssuer {
        /// The end-entity certificate's subject.
        subject: String,
        /// Its issuer, which is not trusted.
        issuer: String,
    },
    /// The server's certificate signs itself and is not a trusted root.
    SelfSigned {
        /// The certificate's subject.
        subject: String,
    },
    /// The validation time is after the certificate's notAfter.
    Expired {
        /// The end of its validity.
        not_after: UnixTime,
        /// The time it was checked at.
        now: UnixTime,
    },
    /// The validation time is before the certificate's notBefore.
    NotYetValid {
        /// The start of its validity.
        not_before: UnixTime,
        /// The time it was checked at.
        now: UnixTime,
    },
    /// The certificate does not name the host we connected to.
    NotValidForName {
        /// The name we connected to.
        expected: String,
        /// The names the certificate holds.
        presented: Vec<String>,
    },
    /// A signature in the chain does not verify.
    BadSignature,
    /// Anything else rustls-webpki refused, in its words.
    Other(String),
}

impl CertificateError {
    /// RFC 5246 §7.2.2's alert for each failure.
    pub fn alert(&self) -> AlertDescription {
        match self {
            Self::UnknownIssuer { .. } | Self::SelfSigned { .. } => AlertDescription::UnknownCa,
            Self::Expired { .. } | Self::NotYetValid { .. } => AlertDescription::CertificateExpired,
            Self::NoCertificate
            | Self::BadEncoding(_)
            | Self::NotValidForName { .. }
            | Self::BadSignature => AlertDescription::BadCertificate,
            Self::Other(_) => AlertDescription::CertificateUnknown,
        }
    }
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoCertificate => f.write_str("the server sent no certificate"),
            Self::BadEncoding(e) => write!(f, "the certificate is not valid X.509 ({e})"),
            Self::UnknownIssuer { subject, issuer } => write!(
                f,
                "unknown issuer: the certificate for {subject} was issued by {issuer}, which is not a trusted root"
            ),
            Self::SelfSigned { subject } => write!(
                f,
                "self-signed: the certificate for {subject} signs itself and is not a trusted \
                 root (to trust it, add this very certificate to the trusted roots)"
            ),
            Self::Expired { not_after, now } => write!(
                f,
                "expired: the certificate was valid until {}, it is now {}",
                crate::x509::format_time(not_after.as_secs()),
                crate::x509::format_time(now.as_secs())
            ),
            Self::NotYetValid { not_before, now } => write!(
                f,
                "not yet valid: the certificate is valid from {}, it is now {}",
                crate::x509::format_time(not_before.as_secs()),
                crate::x509::format_time(now.as_secs())
            ),
            Self::NotValidForName {
                expected,
                presented,
            } => write!(
                f,
                "wrong name: the certificate is for {}, not for {expected}",
                if presented.is_empty() {
                    "no host name".to_string()
                } else {
                    presented.join(", ")
                }
            ),
            Self::BadSignature => {
                f.write_str("bad signature: a signature in the certificate chain does not verify")
            }
            Self::Other(e) => write!(f, "{e}"),
        }
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

impl From<UnexpectedMessage> for Error {
    fn from(e: UnexpectedMessage) -> Self {
        Self::UnexpectedMessage(e)
    }
}

impl From<PeerMisbehaved> for Error {
    fn from(e: PeerMisbehaved) -> Self {
        Self::PeerMisbehaved(e)
    }
}

impl From<PeerIncompatible> for Error {
    fn from(e: PeerIncompatible) -> Self {
        Self::PeerIncompatible(e)
    }
}

impl From<DecryptError> for Error {
    fn from(e: DecryptError) -> Self {
        Self::DecryptError(e)
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}

impl From<Misuse> for Error {
    fn from(e: Misuse) -> Self {
        Self::Misuse(e)
    }
}

impl From<InternalError> for Error {
    fn from(e: InternalError) -> Self {
        Self::Internal(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "malformed message from the peer: {e}"),
            Self::UnexpectedMessage(e) => write!(f, "unexpected message: {e}"),
            Self::PeerMisbehaved(
                e @ (PeerMisbehaved::NonEmptyRenegotiationInfo
                | PeerMisbehaved::ResumedWithOtherEms),
            ) => write!(f, "handshake failure: {e}"),
            Self::PeerMisbehaved(e) => write!(f, "the peer sent an illegal parameter: {e}"),
            Self::PeerIncompatible(e) => e.fmt(f),
            Self::UnsupportedExtension(typ) => {
                write!(f, "the peer sent an extension it must not send: {typ}")
            }
            Self::BadRecordMac => f.write_str("a record failed authentication (bad_record_mac)"),
            Self::RecordOverflow => f.write_str("the peer sent a record longer than allowed"),
            Self::DecryptError(e) => write!(f, "verification failed: {e}"),
            Self::Certificate(e) => write!(f, "certificate rejected: {e}"),
            Self::AlertReceived(a) => write!(f, "the peer sent a fatal alert: {a}"),
            Self::ConnectionClosed => f.write_str("the connection is closed"),
            Self::Config(e) => e.fmt(f),
            Self::Misuse(e) => e.fmt(f),
            Self::Internal(e) => write!(f, "internal error: {e}"),
            Self::EchRejected(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl Expected {
    /// Whether a handshake message of type `typ` is what is expected.
    pub fn admits(&self, typ: HandshakeType) -> bool {
        match self {
            Self::Message(t) => *t == typ,
            Self::OneOf(types) => types.contains(&typ),
            Self::ChangeCipherSpec | Self::ApplicationData => false,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Message(typ) => typ.fmt(f),
            Self::OneOf(types) => {
                let names: Vec<String> = types.iter().map(|t| t.to_string()).collect();
                f.write_str(&names.join(" or "))
            }
            Self::ChangeCipherSpec => f.write_str("ChangeCipherSpec"),
            Self::ApplicationData => f.write_str("application data"),
        }
    }
}

impl fmt::Display for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Message(typ) => typ.fmt(f),
            Self::ChangeCipherSpec => f.write_str("ChangeCipherSpec"),
        }
    }
}

impl fmt::Display for UnexpectedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (expected, got): (&dyn fmt::Display, &dyn fmt::Display) = match self {
            Self::OutOfOrder { expected, got } => (expected, got),
            Self::Interleaved(typ) => {
                return write!(
                    f,
                    "expected the rest of a handshake message, got a {typ} record"
                );
            }
            Self::SpansKeyChange => (
                &"a record boundary at the key change",
                &"more handshake data under the old keys",
            ),
            Self::AfterEndOfFlight => (
                &"the end of the record after the last message of the flight",
                &"more handshake data before our answer",
            ),
            Self::SecondHelloRetryRequest => (&"ServerHello", &"a second HelloRetryRequest"),
            Self::ChangeCipherSpecInTls13 => {
                (&"no ChangeCipherSpec", &"ChangeCipherSpec in TLS 1.3")
            }
            Self::ApplicationDataBeforeHandshake => (
                &"a handshake message",
                &"application data before the handshake finished",
            ),
            Self::UnknownRecordType(typ) => {
                return write!(
                    f,
                    "expected a TLS record, got record of content type {}",
                    typ.0
                );
            }
            Self::TooManyEmptyRecordsOrWarnings { limit } => {
                return write!(
                    f,
                    "expected data, got more than {limit} empty records or warning alerts in a row"
                );
            }
            Self::TooManyWarningAlerts { limit } => {
                return write!(
                    f,
                    "expected data, got more than {limit} warning alerts in a row"
                );
            }
            Self::TooManyKeyUpdates { limit } => {
                return write!(
                    f,
                    "expected data, got more than {limit} KeyUpdates in a row"
                );
            }
            Self::AllZeroRecord => (&"a content type", &"an all-zero record"),
            Self::EmptyRecord(typ) => {
                return write!(f, "expected a {typ} message, got an empty {typ} record");
            }
            Self::TooMuchEarlyData { limit } => {
                return write!(
                    f,
                    "expected the client's second flight, got more than {limit} bytes of early \
                     data (0-RTT, which we do not accept)"
                );
            }
            Self::PlaintextRecord(typ) => {
                return write!(
                    f,
                    "expected an encrypted record, got a plaintext {typ} record"
                );
            }
        };
        write!(f, "expected {expected}, got {got}")
    }
}

impl fmt::Display for PeerMisbehaved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DowngradeDetected => "downgrade detected: a TLS 1.3 server answered with TLS 1.2",
            Self::EmsDroppedOnResumption => {
                "the client offers a session that used the extended master secret without the \
                 extension (RFC 7627 §5.3: the abbreviated handshake is aborted)"
            }
            Self::SchemeDoesNotFitKey => {
                "the peer signed with a scheme for another kind of key than its certificate's"
            }
            Self::InappropriateFallback => {
                "inappropriate fallback: the client signals a fallback (TLS_FALLBACK_SCSV) to a \
                 version below the highest we both speak"
            }
            Self::SuiteNotOffered => "the server chose a cipher suite we did not offer",
            Self::CompressionNotOffered => "the server chose a compression method we did not offer",
            Self::GroupNotOffered => "the server chose a group we did not offer",
            Self::AlpnNotOffered => "the server chose an ALPN protocol we did not offer",
            Self::SchemeNotOffered => "the peer signed with a scheme we did not offer",
            Self::ResumedWithOtherSuite => {
                "the server resumed the session with another cipher suite"
            }
            Self::ResumedWithOtherEms => {
                "the server resumed with a different extended master secret state"
            }
            Self::PskNotOffered => "the server selected a PSK we did not offer",
            Self::KeyShareForUnofferedGroup => {
                "the server's key share is for a group we sent no share for"
            }
            Self::SessionIdEchoMismatch => "legacy_session_id_echo does not match",
            Self::SuiteChangedAfterRetry => "the cipher suite changed after HelloRetryRequest",
            Self::RetryGroupUnusable => "HelloRetryRequest asks for a group we cannot use",
            Self::RetryChangesNothing => "HelloRetryRequest changes nothing",
            Self::RetrySelectedOtherVersion => "HelloRetryRequest selected another version",
            Self::Tls12AfterRetry => "TLS 1.2 after a HelloRetryRequest",
            Self::SupportedVersionsNotTls13 => {
                "supported_versions selects a version other than TLS 1.3"
            }
            Self::MisplacedEncryptedExtension => {
                "an extension that does not belong in EncryptedExtensions"
            }
            Self::EchInnerMalformed => {
                "an Encrypted Client Hello inner ClientHello without its marker, or below TLS 1.3"
            }
            Self::EchOuterExtensions => {
                "ech_outer_extensions naming a missing, repeated, misordered or ECH extension"
            }
            Self::EchPadding => "Encrypted Client Hello padding that is not zeros",
            Self::EchInnerNotEmpty => "an encrypted_client_hello of type inner with a body",
            Self::EchSecondHelloChanged => {
                "a second ClientHello whose Encrypted Client Hello changed its config or suite"
            }
            Self::EchAcceptanceLost => {
                "a ServerHello that drops the Encrypted Client Hello its HelloRetryRequest accepted"
            }
            Self::EchRejectedButResumed => {
                "a server that rejected Encrypted Client Hello resumed a session (none was offered \
                 in the clear)"
            }
            Self::NonEmptyCertificateContext => {
                "a certificate_request_context other than the (empty) one of the handshake"
            }
            Self::PointFormatsWithoutUncompressed => "ec_point_formats without uncompressed",
            Self::NonEmptyRenegotiationInfo => {
                "non-empty renegotiation_info on the initial handshake"
            }
            Self::Tls13CompressionNotNull => "TLS 1.3 allows only null compression",
            Self::NoNullCompression => "the client does not offer null compression",
            Self::KeySharesDoNotMatchGroups => "key_share entries do not match supported_groups",
            Self::SecondHelloChanged => "the second ClientHello changed what it may not",
            Self::SecondHelloLacksShare => "the second ClientHello lacks the share we asked for",
            Self::PskNotLast => "pre_shared_key is not the last extension",
            Self::InvalidKeyShare => "invalid key share",
            Self::CertificateKeyNotRsa => "the server certificate does not hold an RSA key",
        })
    }
}

impl fmt::Display for PeerIncompatible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::VersionTooLow(v) => {
                write!(
                    f,
                    "unsupported protocol version: the client offers at most {v}"
                )
            }
            Self::ServerChoseVersion(v) => {
                write!(f, "unsupported protocol version: the server chose {v}")
            }
            Self::ClientLacksTls13 => f.write_str(
                "unsupported protocol version: the client does not offer TLS 1.3, the only \
                 version enabled",
            ),
            Self::NoVersionInCommon(offered) => {
                let offered: Vec<String> = offered.iter().map(|v| v.to_string()).collect();
                write!(
                    f,
                    "unsupported protocol version: the client offers only {} in \
                     supported_versions",
                    offered.join(", ")
                )
            }
            Self::RecordVersion(v) => {
                write!(f, "unsupported protocol version: record version {v}")
            }
            Self::NoCommonSuite => f.write_str(
                "handshake failure: no cipher suite, group and signature scheme in common with \
                 the client",
            ),
            Self::NoClientCertificate | Self::NoClientCertificateTls13 => {
                f.write_str("a client certificate is required and the client sent none")
            }
            Self::NoCommonSuiteTls13 => {
                f.write_str("handshake failure: no TLS 1.3 cipher suite in common with the client")
            }
            Self::NoCommonGroup => {
                f.write_str("handshake failure: no key-exchange group in common with the client")
            }
            Self::NoCertificateSchemeInCommon => f.write_str(
                "handshake failure: no certificate and signature scheme the client accepts",
            ),
            Self::ClientLacksEms => f.write_str(
                "handshake failure: the client does not offer the extended master secret",
            ),
            Self::ServerLacksEms => f.write_str(
                "handshake failure: the server does not support the extended master secret",
            ),
            Self::NoNameAndNoDefaultCertificate => f.write_str(
                "handshake failure: the client sent no server name and there is no default \
                 certificate",
            ),
            Self::UnrecognizedName(name) => {
                write!(f, "no certificate for the requested name {name:?}")
            }
            Self::NoApplicationProtocol => {
                f.write_str("no application protocol (ALPN) in common with the peer")
            }
            Self::MissingExtension(typ) => write!(f, "the peer left out the {typ} extension"),
        }
    }
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Finished => "the peer's Finished does not match the handshake",
            Self::Binder => "the PSK binder does not verify",
            Self::ServerKeyExchangeSignature => {
                "the ServerKeyExchange signature does not verify with the certificate's key"
            }
            Self::CertificateVerifySignature => {
                "the CertificateVerify signature does not verify with the certificate's key"
            }
            Self::EchSecondClientHello => {
                "the second ClientHello's Encrypted Client Hello does not open under the first one's key"
            }
            Self::ClientCertificateVerifySignature => {
                "the client's CertificateVerify signature does not verify with its certificate's key"
            }
        })
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoIdentity => f.write_str("a server needs at least one certificate and key"),
            Self::NoCipherSuite => f.write_str("no cipher suite is enabled"),
            Self::EmptyChain => f.write_str("a certificate chain needs at least one certificate"),
            Self::EchPublicName(name) => {
                write!(f, "an ECH public name must be 1 to 255 bytes, not {name:?}")
            }
            Self::EchKey => f.write_str(
                "not an ECH key file: expected a PRIVATE KEY block (X25519, PKCS #8) and an \
                 ECHCONFIG block holding its ECHConfigList",
            ),
            Self::UnsupportedKey => {
                f.write_str("the private key is not a supported RSA, ECDSA or Ed25519 key")
            }
            Self::File { path, what, reason } => {
                write!(f, "cannot read {what} from {path}: {reason}")
            }
            Self::NoUsableRoot { path } => write!(f, "{path} holds no usable certificate"),
            Self::KeyMismatch {
                files: Some((cert, key)),
            } => write!(
                f,
                "the private key in {key} does not belong to the certificate in {cert} (its \
                 public key is another): every handshake would fail"
            ),
            Self::KeyMismatch { files: None } => f.write_str(
                "the private key does not belong to the end-entity certificate (its public key \
                 is another): every handshake would fail",
            ),
            Self::NoSuiteForKey { key } => write!(
                f,
                "no enabled cipher suite can use an {key} certificate (enable TLS 1.3, or a TLS \
                 1.2 suite for that kind of key)"
            ),
            Self::FragmentSize(size) => {
                write!(f, "max_fragment_size {size} is outside 64 to 16384 bytes")
            }
        }
    }
}

impl fmt::Display for Misuse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::KeyUpdateNeedsTls13 => {
                "a key update needs a TLS 1.3 connection in its traffic state"
            }
            Self::PaddingNeedsTls13 => "padding needs TLS 1.3 and must fit in one record",
            Self::ExporterBeforeHandshake => {
                "keying material is exported once the handshake is done"
            }
            Self::ExporterNeedsExtendedMasterSecret => {
                "a TLS 1.2 connection without the extended master secret exports no keying \
                 material (RFC 7627 §5.4)"
            }
            Self::ExporterContextTooLong => "an exporter context is at most 65535 bytes",
            Self::ExporterLabelTooLong => "a TLS 1.3 exporter label is at most 249 bytes",
            Self::ExporterOutputTooLong => "a TLS 1.3 export is at most 255 hash lengths",
        })
    }
}

impl fmt::Display for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RandomSource => "the random source failed",
            Self::KeyGeneration => "key generation failed",
            Self::KeyMaterial => "key material of the wrong length",
            Self::Encryption => "encryption failed",
            Self::Signing => "signing failed",
            Self::TranscriptNotStarted => "the transcript hash was not started",
            Self::SequenceExhausted => "sequence number exhausted",
            Self::RecordLayout => "a record did not have the layout it was built with",
            Self::StateInvariant => "a handshake state lacks what it needs",
            Self::TicketKeys => "the ticket keys are unusable",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_errors_send_the_alert_their_rfc_section_names() {
        use AlertDescription as A;
        let cases: [(Error, Option<A>); 10] = [
            (InvalidMessage::Truncated("x").into(), Some(A::DecodeError)),
            (InvalidMessage::TooLarge("x").into(), Some(A::DecodeError)),
            (
                PeerMisbehaved::NonEmptyRenegotiationInfo.into(),
                Some(A::HandshakeFailure),
            ),
            (
                PeerMisbehaved::DowngradeDetected.into(),
                Some(A::IllegalParameter),
            ),
            (
                PeerIncompatible::VersionTooLow(ProtocolVersion::TLSv1_1).into(),
                Some(A::ProtocolVersion),
            ),
            (
                PeerIncompatible::NoApplicationProtocol.into(),
                Some(A::NoApplicationProtocol),
            ),
            (
                PeerIncompatible::MissingExtension(ExtensionType::KeyShare).into(),
                Some(A::MissingExtension),
            ),
            (DecryptError::Binder.into(), Some(A::DecryptError)),
            (Error::AlertReceived(A::HandshakeFailure), None),
            (ConfigError::NoIdentity.into(), None),
        ];
        for (error, alert) in cases {
            assert_eq!(error.alert(), alert, "{error}");
        }
    }

    #[test]
    fn errors_read_as_sentences() {
        let e = Error::UnexpectedMessage(UnexpectedMessage::OutOfOrder {
            expected: Expected::Message(HandshakeType::ServerHello),
            got: Received::Message(HandshakeType::Certificate),
        });
        assert_eq!(
            e.to_string(),
            "unexpected message: expected ServerHello, got Certificate"
        );
        assert_eq!(
            Error::from(PeerMisbehaved::ResumedWithOtherEms).to_string(),
            "handshake failure: the server resumed with a different extended master secret state"
        );
    }
}
