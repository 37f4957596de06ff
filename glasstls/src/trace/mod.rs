//! Typed handshake events: every message sent and received, with its record, its raw bytes and
//! every field as a typed value under a stable identifier; every decision with its reason;
//! every secret the key schedules derive, by name, with the inputs it is made from; alerts and
//! the failure of the connection. Values of secrets appear only when the configuration says
//! `reveal_secrets`. Building events costs nothing unless the configuration turned tracing on.
//!
//! The model is data, not prose: the text rendering (`Display`, in `text.rs`) is one view of
//! it, and others (JSON, a sequence diagram, explanations in other languages) are built from
//! the same events.

mod fields;
mod spans;
mod text;

pub use crate::crypto::KeyKind;
use crate::error::{CertificateError, Error};
use crate::session::Resumption;
use crate::side::Side;
use crate::version::Version;
pub use crate::x509::CertificateSummary;
pub(crate) use fields::message_fields;
pub use spans::{Span, field_spans};

use crate::wire::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, ExtensionType, HandshakeType,
    NamedGroup, ProtocolVersion, SignatureScheme,
};
use std::borrow::Cow;

/// Which way a message or record went, seen from the connection that records the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// We sent it.
    Sent,
    /// The peer sent it.
    Received,
}

/// The record a message, alert or ChangeCipherSpec travelled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordInfo {
    /// The content type in the record header: in TLS 1.3 every protected record says
    /// application_data on the outside.
    pub content_type: ContentType,
    /// Which keys protected it, counted from 0 (plaintext) and up by one at each key change in
    /// that direction: in TLS 1.3, 1 is the handshake keys, 2 the first application keys, and
    /// each KeyUpdate adds one.
    pub epoch: u16,
    /// Whether the record was protected.
    pub encrypted: bool,
    /// The record's length field: the bytes after its 5-byte header (for a message that
    /// spans records, the record that carried its last byte; for one we sent, the first).
    pub length: usize,
}

/// A handshake message as it crossed the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Sent or received.
    pub direction: Direction,
    /// The message type.
    pub typ: HandshakeType,
    /// The record that carried it.
    pub record: RecordInfo,
    /// Its fields in wire order, extensions included, each with a typed value.
    pub fields: Vec<Field>,
    /// The whole message (4-byte header and body) as sent or received.
    pub raw: Vec<u8>,
    /// An Encrypted Client Hello's inner ClientHello (RFC 9849): it crossed the wire sealed
    /// inside the outer hello's encrypted_client_hello, not in a record of its own (`record`
    /// is the outer hello's), and `raw` is the hello the handshake ran on.
    pub ech_inner: bool,
}

/// One field of a message, or of a structure inside one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// What the field is (stable across releases; see [`FieldId::id`]).
    pub id: FieldId,
    /// What it held.
    pub value: Value,
}

/// A typed field value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value {
    /// Opaque bytes (randoms, session IDs, key shares, tickets, verify_data).
    Bytes(Vec<u8>),
    /// A number (lifetimes, ages, indexes).
    Number(u64),
    /// Text (a host name, a certificate's subject).
    Text(String),
    /// A code point from one of the protocol's registries, known or not.
    Name(Name),
    /// A list of values.
    List(Vec<Value>),
    /// A structure of named fields (a key share entry, a certificate).
    Struct(Vec<Field>),
    /// Yes or no.
    Flag(bool),
    /// Present but empty (an extension with no body, such as extended_master_secret).
    Empty,
}

/// A code point, with the registry it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Name {
    /// A protocol version.
    Version(ProtocolVersion),
    /// A cipher suite.
    CipherSuite(CipherSuite),
    /// A key-exchange group.
    Group(NamedGroup),
    /// A signature scheme.
    SignatureScheme(SignatureScheme),
    /// An extension type (for extensions we keep opaque).
    Extension(ExtensionType),
    /// A compression method (RFC 5246 §7.4.1.2: 0 is null).
    Compression(u8),
    /// An EC point format (RFC 8422 §5.1.2: 0 is uncompressed).
    PointFormat(u8),
    /// A PSK key exchange mode (RFC 8446 §4.2.9).
    PskMode(u8),
    /// A KeyUpdate request (RFC 8446 §4.6.3).
    KeyUpdateRequest(u8),
    /// A server_name entry type (RFC 6066 §3: 0 is host_name).
    ServerNameType(u8),
    /// A certificate type in a TLS 1.2 CertificateRequest (RFC 5246 §7.4.4).
    CertificateType(u8),
}

impl Name {
    /// The registry this code point is from (its IANA registry, in snake case).
    pub fn registry(&self) -> &'static str {
        match self {
            Self::Version(_) => "protocol_version",
            Self::CipherSuite(_) => "cipher_suite",
            Self::Group(_) => "named_group",
            Self::SignatureScheme(_) => "signature_scheme",
            Self::Extension(_) => "extension_type",
            Self::Compression(_) => "compression_method",
            Self::PointFormat(_) => "ec_point_format",
            Self::PskMode(_) => "psk_key_exchange_mode",
            Self::KeyUpdateRequest(_) => "key_update_request",
            Self::ServerNameType(_) => "name_type",
            Self::CertificateType(_) => "client_certificate_type",
        }
    }

    /// The value on the wire.
    pub fn code(&self) -> u16 {
        match self {
            Self::Version(v) => v.0,
            Self::CipherSuite(s) => s.0,
            Self::Group(g) => g.0,
            Self::SignatureScheme(s) => s.0,
            Self::Extension(e) => e.0,
            Self::Compression(c)
            | Self::PointFormat(c)
            | Self::PskMode(c)
            | Self::KeyUpdateRequest(c)
            | Self::ServerNameType(c)
            | Self::CertificateType(c) => u16::from(*c),
        }
    }

    /// The name the RFCs give it, if glasstls knows it.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            Self::Version(v) => v.name(),
            Self::CipherSuite(s) => s.name(),
            Self::Group(g) => g.name(),
            Self::SignatureScheme(s) => s.name(),
            Self::Extension(e) => e.name(),
            Self::Compression(0) => Some("null"),
            Self::PointFormat(0) => Some("uncompressed"),
            Self::PskMode(0) => Some("psk_ke"),
            Self::PskMode(1) => Some("psk_dhe_ke"),
            Self::KeyUpdateRequest(0) => Some("update_not_requested"),
            Self::KeyUpdateRequest(1) => Some("update_requested"),
            Self::ServerNameType(0) => Some("host_name"),
            Self::CertificateType(1) => Some("rsa_sign"),
            Self::CertificateType(64) => Some("ecdsa_sign"),
            _ => None,
        }
    }
}

/// What a field is: a stable identifier, the same in every rendering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldId {
    /// ClientHello.legacy_version (client_version in RFC 5246).
    ClientVersion,
    /// ServerHello.legacy_version (server_version in RFC 5246).
    ServerVersion,
    /// ClientHello.random or ServerHello.random.
    Random,
    /// The legacy session ID (or its echo).
    SessionId,
    /// ClientHello.cipher_suites.
    CipherSuites,
    /// ServerHello.cipher_suite.
    CipherSuite,
    /// ClientHello.compression_methods.
    CompressionMethods,
    /// ServerHello.compression_method.
    CompressionMethod,
    /// An extension, by its type.
    Extension(ExtensionType),
    /// TLS 1.3 certificate_request_context.
    CertificateRequestContext,
    /// The certificate chain, end entity first.
    CertificateList,
    /// One certificate's DER.
    CertData,
    /// A certificate's subject (for display).
    Subject,
    /// A certificate's issuer (for display).
    Issuer,
    /// A certificate's notBefore.
    NotBefore,
    /// A certificate's notAfter.
    NotAfter,
    /// The extensions of a TLS 1.3 CertificateEntry, kept opaque.
    EntryExtensions,
    /// CertificateRequest.certificate_types (TLS 1.2).
    CertificateTypes,
    /// CertificateRequest.supported_signature_algorithms (TLS 1.2).
    SupportedSignatureAlgorithms,
    /// CertificateRequest.certificate_authorities (TLS 1.2).
    CertificateAuthorities,
    /// A key exchange value: a share's key, or the body of ServerKeyExchange and
    /// ClientKeyExchange (whose form depends on the suite).
    KeyExchange,
    /// A key share's group.
    Group,
    /// A server_name entry's type.
    NameType,
    /// A server_name entry's host name.
    HostName,
    /// A PSK identity (a ticket).
    Identity,
    /// A PSK identity's obfuscated_ticket_age.
    ObfuscatedTicketAge,
    /// The PSK identities offered.
    Identities,
    /// The PSK binders.
    Binders,
    /// A signature's scheme.
    Algorithm,
    /// A signature.
    Signature,
    /// Finished.verify_data.
    VerifyData,
    /// NewSessionTicket.ticket_lifetime_hint (TLS 1.2, RFC 5077).
    TicketLifetimeHint,
    /// NewSessionTicket.ticket_lifetime (TLS 1.3), seconds.
    TicketLifetime,
    /// NewSessionTicket.ticket_age_add.
    TicketAgeAdd,
    /// NewSessionTicket.ticket_nonce.
    TicketNonce,
    /// A ticket.
    Ticket,
    /// KeyUpdate.request_update.
    RequestUpdate,
    /// RFC 9849 §5: ECHClientHello.type, `outer` or `inner`.
    EchType,
    /// RFC 9849: the ECHConfig's config_id.
    ConfigId,
    /// RFC 9849: the HPKE suite (KDF and AEAD) the inner hello was sealed with.
    HpkeSuite,
    /// RFC 9849 §5: the HPKE encapsulated key.
    Enc,
    /// RFC 9849 §5: the sealed EncodedClientHelloInner.
    Payload,
    /// RFC 9849 §5: the server's retry_configs (its ECHConfigs).
    RetryConfigs,
    /// An ECHConfig's public_name.
    PublicName,
    /// RFC 9849 §7.2.1: a HelloRetryRequest's ECH acceptance confirmation.
    Confirmation,
    /// The body of a message glasstls does not decode.
    Body,
}

impl FieldId {
    /// The identifier as text: the RFC's field name in snake case, or for an extension its
    /// registered name (`unknown(0x....)` for one we do not know).
    pub fn id(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::Extension(typ) => {
                return match typ.name() {
                    Some(name) => Cow::Borrowed(name),
                    None => Cow::Owned(typ.to_string()),
                };
            }
            Self::ClientVersion => "client_version",
            Self::ServerVersion => "server_version",
            Self::Random => "random",
            Self::SessionId => "session_id",
            Self::CipherSuites => "cipher_suites",
            Self::CipherSuite => "cipher_suite",
            Self::CompressionMethods => "compression_methods",
            Self::CompressionMethod => "compression_method",
            Self::CertificateRequestContext => "certificate_request_context",
            Self::CertificateList => "certificate_list",
            Self::CertData => "cert_data",
            Self::Subject => "subject",
            Self::Issuer => "issuer",
            Self::NotBefore => "not_before",
            Self::NotAfter => "not_after",
            Self::EntryExtensions => "extensions",
            Self::CertificateTypes => "certificate_types",
            Self::SupportedSignatureAlgorithms => "supported_signature_algorithms",
            Self::CertificateAuthorities => "certificate_authorities",
            Self::KeyExchange => "key_exchange",
            Self::Group => "group",
            Self::NameType => "name_type",
            Self::HostName => "host_name",
            Self::Identity => "identity",
            Self::ObfuscatedTicketAge => "obfuscated_ticket_age",
            Self::Identities => "identities",
            Self::Binders => "binders",
            Self::Algorithm => "algorithm",
            Self::Signature => "signature",
            Self::VerifyData => "verify_data",
            Self::TicketLifetimeHint => "ticket_lifetime_hint",
            Self::TicketLifetime => "ticket_lifetime",
            Self::TicketAgeAdd => "ticket_age_add",
            Self::TicketNonce => "ticket_nonce",
            Self::Ticket => "ticket",
            Self::RequestUpdate => "request_update",
            Self::EchType => "type",
            Self::ConfigId => "config_id",
            Self::HpkeSuite => "cipher_suite",
            Self::Enc => "enc",
            Self::Payload => "payload",
            Self::RetryConfigs => "retry_configs",
            Self::PublicName => "public_name",
            Self::Confirmation => "confirmation",
            Self::Body => "body",
        })
    }
}

/// Something that happened on a connection, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A handshake message was sent or received.
    Message(Message),
    /// A ChangeCipherSpec record was sent or received.
    ChangeCipherSpec {
        /// Sent or received.
        direction: Direction,
        /// The record.
        record: RecordInfo,
    },
    /// An alert was sent or received.
    Alert {
        /// Sent or received.
        direction: Direction,
        /// warning or fatal.
        level: AlertLevel,
        /// Which alert.
        description: AlertDescription,
        /// The record.
        record: RecordInfo,
    },
    /// The state machine decided something, or checked something, and why.
    Decision(Decision),
    /// A step of a key schedule derived a secret.
    Secret(SecretDerived),
    /// The connection failed with this error (after any alert it sent).
    Failed(Error),
}

/// A key-schedule step: which secret, and its value when revealing was configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretDerived {
    /// The secret.
    pub name: SecretName,
    /// Its bytes, only with `reveal_secrets`.
    pub value: Option<Vec<u8>>,
}

/// The secrets of both key schedules, as the RFCs name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecretName {
    /// TLS 1.2: the pre-master secret (RFC 5246 §8.1).
    PreMasterSecret,
    /// TLS 1.2: the master secret from the randoms (RFC 5246 §8.1).
    MasterSecret,
    /// TLS 1.2: the master secret from the session hash (RFC 7627 §4).
    ExtendedMasterSecret,
    /// TLS 1.2 key block: client_write_key (RFC 5246 §6.3).
    ClientWriteKey,
    /// TLS 1.2 key block: server_write_key.
    ServerWriteKey,
    /// TLS 1.2 key block: client_write_IV.
    ClientWriteIv,
    /// TLS 1.2 key block: server_write_IV.
    ServerWriteIv,
    /// TLS 1.3: client_handshake_traffic_secret (RFC 8446 §7.1).
    ClientHandshakeTrafficSecret,
    /// TLS 1.3: server_handshake_traffic_secret.
    ServerHandshakeTrafficSecret,
    /// TLS 1.3: client_application_traffic_secret_0.
    ClientApplicationTrafficSecret,
    /// TLS 1.3: server_application_traffic_secret_0.
    ServerApplicationTrafficSecret,
}

/// What a secret is made from: other secrets, handshake values, or a transcript hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecretInput {
    /// Another secret of the schedule.
    Secret(SecretName),
    /// ECDHE's shared secret, or the RSA-encrypted random of the client.
    KeyExchange,
    /// ClientHello.random.
    ClientRandom,
    /// ServerHello.random.
    ServerRandom,
    /// RFC 7627's session hash: the transcript up to and including ClientKeyExchange.
    SessionHash,
    /// The TLS 1.3 Handshake Secret (ECDHE into the Early Secret, with the PSK if any).
    HandshakeSecret,
    /// The TLS 1.3 Master Secret.
    MasterSecret13,
    /// Transcript-Hash(ClientHello...ServerHello).
    HelloTranscript,
    /// Transcript-Hash(ClientHello...server Finished).
    ServerFinishedTranscript,
}

impl SecretName {
    /// Every secret, TLS 1.2's then TLS 1.3's, in the order the schedules derive them.
    pub const ALL: &'static [Self] = &[
        Self::PreMasterSecret,
        Self::MasterSecret,
        Self::ExtendedMasterSecret,
        Self::ClientWriteKey,
        Self::ServerWriteKey,
        Self::ClientWriteIv,
        Self::ServerWriteIv,
        Self::ClientHandshakeTrafficSecret,
        Self::ServerHandshakeTrafficSecret,
        Self::ClientApplicationTrafficSecret,
        Self::ServerApplicationTrafficSecret,
    ];

    /// A stable identifier.
    pub fn id(self) -> &'static str {
        match self {
            Self::PreMasterSecret => "pre_master_secret",
            Self::MasterSecret => "master_secret",
            Self::ExtendedMasterSecret => "extended_master_secret",
            Self::ClientWriteKey => "client_write_key",
            Self::ServerWriteKey => "server_write_key",
            Self::ClientWriteIv => "client_write_iv",
            Self::ServerWriteIv => "server_write_iv",
            Self::ClientHandshakeTrafficSecret => "client_handshake_traffic_secret",
            Self::ServerHandshakeTrafficSecret => "server_handshake_traffic_secret",
            Self::ClientApplicationTrafficSecret => "client_application_traffic_secret_0",
            Self::ServerApplicationTrafficSecret => "server_application_traffic_secret_0",
        }
    }

    /// The name in the RFC's words (and the trace's).
    pub fn label(self) -> &'static str {
        match self {
            Self::PreMasterSecret => "pre-master secret",
            Self::MasterSecret => "master secret",
            Self::ExtendedMasterSecret => "master secret (extended)",
            Self::ClientWriteKey => "client_write_key",
            Self::ServerWriteKey => "server_write_key",
            Self::ClientWriteIv => "client_write_IV",
            Self::ServerWriteIv => "server_write_IV",
            Self::ClientHandshakeTrafficSecret => "client_handshake_traffic_secret",
            Self::ServerHandshakeTrafficSecret => "server_handshake_traffic_secret",
            Self::ClientApplicationTrafficSecret => "client_application_traffic_secret_0",
            Self::ServerApplicationTrafficSecret => "server_application_traffic_secret_0",
        }
    }

    /// What this secret is derived from (RFC 5246 §6.3, §8.1; RFC 7627 §4; RFC 8446 §7.1).
    pub fn inputs(self) -> &'static [SecretInput] {
        use SecretInput as I;
        match self {
            Self::PreMasterSecret => &[I::KeyExchange],
            Self::MasterSecret => &[
                I::Secret(Self::PreMasterSecret),
                I::ClientRandom,
                I::ServerRandom,
            ],
            Self::ExtendedMasterSecret => &[I::Secret(Self::PreMasterSecret), I::SessionHash],
            Self::ClientWriteKey
            | Self::ServerWriteKey
            | Self::ClientWriteIv
            | Self::ServerWriteIv => &[
                I::Secret(Self::MasterSecret),
                I::ServerRandom,
                I::ClientRandom,
            ],
            Self::ClientHandshakeTrafficSecret | Self::ServerHandshakeTrafficSecret => {
                &[I::HandshakeSecret, I::HelloTranscript]
            }
            Self::ClientApplicationTrafficSecret | Self::ServerApplicationTrafficSecret => {
                &[I::MasterSecret13, I::ServerFinishedTranscript]
            }
        }
    }
}

impl SecretInput {
    /// A stable identifier (a secret's own id for another secret).
    pub fn id(self) -> &'static str {
        match self {
            Self::Secret(name) => name.id(),
            Self::KeyExchange => "key_exchange",
            Self::ClientRandom => "client_random",
            Self::ServerRandom => "server_random",
            Self::SessionHash => "session_hash",
            Self::HandshakeSecret => "handshake_secret",
            Self::MasterSecret13 => "master_secret_13",
            Self::HelloTranscript => "transcript_client_hello_to_server_hello",
            Self::ServerFinishedTranscript => "transcript_client_hello_to_server_finished",
        }
    }
}

/// How a resumption offer was refused (the handshake goes on, in full).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefusalReason {
    /// The ticket does not open with any current key (unknown, tampered or retired).
    TicketUnopened,
    /// The session ID is not in our session store.
    SessionIdUnknown,
    /// The session's lifetime is over.
    Expired,
    /// The session was made with another protocol version.
    OtherVersion,
    /// The session belongs to another server name.
    OtherServerName,
    /// RFC 7627 §5.3: the extended master secret state differs from the session's.
    EmsDiffers,
    /// The session's cipher suite is not offered now, or no longer enabled.
    SuiteUnavailable,
    /// The ticket's cipher suite is not the one our HelloRetryRequest chose.
    SuiteNotRetrySuite,
    /// The server now requires a client certificate and the session was made without one.
    ClientNotAuthenticated,
    /// The client no longer offers the ticket's cipher suite.
    SuiteNotOffered,
}

/// What asked to renegotiate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenegotiationTrigger {
    /// A server's HelloRequest.
    HelloRequest,
    /// A client's new ClientHello.
    ClientHello,
}

/// A decision or a check of the state machine, with what it was based on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Client: a saved session is offered for resumption.
    ResumptionOffered {
        /// The session's version.
        version: Version,
        /// The server it was saved for.
        server_name: String,
        /// Session ID or ticket.
        by: Resumption,
    },
    /// Client: the server answered with TLS 1.2 and this suite.
    Negotiated12 {
        /// The suite the server chose.
        suite: CipherSuite,
        /// Whether the extended master secret (RFC 7627) was negotiated.
        extended_master_secret: bool,
    },
    /// Client: the server answered with TLS 1.3.
    Negotiated13 {
        /// The suite the server chose.
        suite: CipherSuite,
        /// The group of the key exchange.
        group: NamedGroup,
        /// The length of the server's key share.
        server_share_len: usize,
    },
    /// Client: the server resumes the offered TLS 1.2 session (abbreviated handshake).
    ServerResumes12 {
        /// Session ID or ticket.
        by: Resumption,
    },
    /// Client: the server resumes the offered TLS 1.3 session (psk_dhe_ke).
    ServerResumes13,
    /// Client: the server's chain leads to a trusted root, is valid now and names the host.
    ChainVerified {
        /// The name it was verified for.
        server_name: String,
    },
    /// Client: the application's own verifier ([`crate::config::ClientConfig::verifier`])
    /// accepted the server's chain; the roots were not consulted.
    ChainAcceptedByVerifier {
        /// The name the chain was presented for.
        server_name: String,
    },
    /// Client: the server's chain was refused.
    ChainRejected(CertificateError),
    /// Client: ServerKeyExchange's parameters arrived, and their signature verified.
    ServerKeyExchangeVerified {
        /// The ECDHE group.
        group: NamedGroup,
        /// The server's public key share.
        server_public: Vec<u8>,
        /// The signature's scheme.
        scheme: SignatureScheme,
    },
    /// Client: CertificateVerify proved the server holds the certificate's key.
    CertificateVerifyVerified {
        /// The signature's scheme.
        scheme: SignatureScheme,
    },
    /// Client: the server asked for a client certificate; ours is sent and signed with this
    /// scheme, or (`None`) we have none it accepts and send an empty Certificate.
    ClientCertificateRequested {
        /// The scheme our CertificateVerify uses, when we send a certificate.
        scheme: Option<SignatureScheme>,
    },
    /// Server: we ask the client for a certificate (CertificateRequest).
    ClientCertificateAsked {
        /// Whether a client without one is refused.
        required: bool,
    },
    /// Server: the client sent no certificate.
    NoClientCertificate {
        /// Whether that ends the handshake.
        required: bool,
    },
    /// Server: the client's chain leads to a trusted root (client-auth usage), or the
    /// application's verifier accepted it.
    ClientChainVerified {
        /// The end-entity certificate's subject.
        subject: String,
    },
    /// Server: the client's chain was refused.
    ClientChainRejected(CertificateError),
    /// Server: the client's CertificateVerify proved it holds its certificate's key.
    ClientCertificateVerifyVerified {
        /// The signature's scheme.
        scheme: SignatureScheme,
    },
    /// Server: Encrypted Client Hello accepted: the wire showed only the outer hello's name; the
    /// inner hello, which the handshake runs on, asks for another.
    EchAccepted {
        /// The outer ClientHello's SNI (the config's public name), what an eavesdropper saw.
        public_name: String,
        /// The inner ClientHello's SNI, which crossed the wire encrypted.
        server_name: String,
    },
    /// Server: an Encrypted Client Hello we cannot open (another key, GREASE): the handshake
    /// runs on the outer hello and retry_configs go back.
    EchRejected {
        /// The outer ClientHello's SNI.
        public_name: String,
    },
    /// Client: an Encrypted Client Hello offer: the wire shows the public name, the real one
    /// travels in the inner ClientHello, sealed to the server's config.
    EchOffered {
        /// The outer ClientHello's SNI, what an eavesdropper sees.
        public_name: String,
        /// The inner ClientHello's SNI (empty for an IP address).
        server_name: String,
        /// The config the inner hello was sealed to.
        config_id: u8,
        /// EncodedClientHelloInner's length with its padding (a multiple of 32, RFC 9849
        /// §6.1.3, so the length does not tell the name).
        encoded_len: usize,
    },
    /// Client: a GREASE encrypted_client_hello (RFC 9849 §6.2): no config for this server, so
    /// random bytes shaped like an offer keep this hello from standing out.
    EchGreaseSent,
    /// Client: the server's answer does not confirm our Encrypted Client Hello: the handshake
    /// goes on with the outer hello, for the public name, only to authenticate the server's
    /// retry configs; it ends with ech_required.
    EchNotAccepted {
        /// The name the server's certificate must now be valid for.
        public_name: String,
    },
    /// Client: our ECDHE share; the pre-master secret is the shared secret.
    ClientKeyShareSent {
        /// Our public key share.
        client_public: Vec<u8>,
    },
    /// Client: the RSA key exchange's pre-master secret, encrypted to the server's key.
    PreMasterSecretEncrypted {
        /// The ciphertext's length.
        ciphertext_len: usize,
    },
    /// Client: the server asked for another ClientHello (RFC 8446 §4.1.4).
    HelloRetryRequested {
        /// The group it wants a share for, if it asked for one.
        group: Option<NamedGroup>,
        /// Whether it sent a cookie to echo.
        cookie: bool,
    },
    /// Client: everything after ServerHello is protected by the handshake traffic keys.
    HandshakeEncrypted,
    /// Either side: the peer's Finished matched the transcript.
    FinishedVerified {
        /// Whose Finished it was.
        peer: Side,
        /// The version of the handshake.
        version: Version,
    },
    /// Client: the application traffic keys are in place.
    ApplicationKeysInstalled,
    /// Client: the session was saved for later resumption.
    SessionSaved {
        /// The session's version.
        version: Version,
        /// The server it is saved for.
        server_name: String,
        /// How a later connection resumes it.
        by: Resumption,
    },
    /// Either side: a KeyUpdate changed our write keys.
    KeyUpdateSent,
    /// Either side: a KeyUpdate changed the peer's keys.
    KeyUpdateReceived,
    /// Server: a resumption offer was refused; the handshake is a full one.
    ResumptionRefused {
        /// The version being negotiated.
        version: Version,
        /// Why.
        reason: RefusalReason,
    },
    /// Server: the TLS 1.2 session is resumed.
    Resuming12 {
        /// Session ID or ticket.
        by: Resumption,
    },
    /// Server: the TLS 1.2 suite and certificate chosen for a full handshake.
    Chose12 {
        /// The suite.
        suite: CipherSuite,
        /// The certificate's key.
        key: KeyKind,
        /// Whether the client's server_name chose the certificate.
        by_name: bool,
        /// Whether the extended master secret is in use.
        extended_master_secret: bool,
    },
    /// Server: our ECDHE share, signed.
    ServerKeyShareSigned {
        /// The group.
        group: NamedGroup,
        /// Our public key share.
        server_public: Vec<u8>,
        /// The signature's scheme.
        scheme: SignatureScheme,
    },
    /// Server: RSA key exchange, so no ServerKeyExchange.
    RsaKeyExchange,
    /// Server: the client's ECDHE share arrived; the shared secret is computed.
    ClientKeyShareReceived {
        /// The client's public key share.
        client_public: Vec<u8>,
    },
    /// Server: the RSA-encrypted pre-master secret was decrypted (a failure is replaced with
    /// a random secret, RFC 5246 §7.4.7.1, and shows only at Finished).
    PreMasterSecretDecrypted,
    /// Server: the session is stored under its ID.
    SessionStored,
    /// Server: the TLS 1.3 parameters chosen for a full handshake.
    Chose13 {
        /// The suite.
        suite: CipherSuite,
        /// The key-exchange group.
        group: NamedGroup,
        /// The certificate's key.
        key: KeyKind,
        /// Whether the client's server_name chose the certificate.
        by_name: bool,
        /// The CertificateVerify scheme.
        scheme: SignatureScheme,
    },
    /// Server: the TLS 1.3 handshake resumes the client's ticket.
    Resuming13 {
        /// The suite.
        suite: CipherSuite,
        /// The key-exchange group.
        group: NamedGroup,
    },
    /// Server: no key share we accept; a HelloRetryRequest asks for one.
    HelloRetryRequestSent {
        /// The group asked for.
        group: NamedGroup,
    },
    /// Either side: a renegotiation attempt was refused with a no_renegotiation warning.
    RenegotiationRefused(RenegotiationTrigger),
    /// Server: the client offers 0-RTT early data, which glasstls does not accept; its early
    /// records are skipped (RFC 8446 §4.2.10).
    EarlyDataSkipped,
    /// Client: the session saved for this name is past its lifetime: not offered, forgotten.
    CachedSessionExpired {
        /// The name it was saved for.
        server_name: String,
    },
}

/// Bytes as lowercase hex, as the trace and the key log write them.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

impl Event {
    /// The event's kind as a stable identifier (`message`, `alert`, `decision`, …); a
    /// decision's own kind is [`Decision::kind`].
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Message(_) => "message",
            Self::ChangeCipherSpec { .. } => "change_cipher_spec",
            Self::Alert { .. } => "alert",
            Self::Decision(_) => "decision",
            Self::Secret(_) => "secret",
            Self::Failed(_) => "failed",
        }
    }
}

impl Resumption {
    /// A stable identifier (`session_id`, `ticket`).
    pub fn id(self) -> &'static str {
        match self {
            Self::SessionId => "session_id",
            Self::Ticket => "ticket",
        }
    }
}

impl RefusalReason {
    /// Every reason.
    pub const ALL: &'static [Self] = &[
        Self::TicketUnopened,
        Self::SessionIdUnknown,
        Self::Expired,
        Self::OtherVersion,
        Self::OtherServerName,
        Self::EmsDiffers,
        Self::SuiteUnavailable,
        Self::SuiteNotRetrySuite,
        Self::ClientNotAuthenticated,
        Self::SuiteNotOffered,
    ];

    /// A stable identifier for the reason.
    pub fn id(self) -> &'static str {
        match self {
            Self::TicketUnopened => "ticket_unopened",
            Self::SessionIdUnknown => "session_id_unknown",
            Self::Expired => "expired",
            Self::OtherVersion => "other_version",
            Self::OtherServerName => "other_server_name",
            Self::EmsDiffers => "ems_differs",
            Self::SuiteUnavailable => "suite_unavailable",
            Self::SuiteNotRetrySuite => "suite_not_retry_suite",
            Self::SuiteNotOffered => "suite_not_offered",
            Self::ClientNotAuthenticated => "client_not_authenticated",
        }
    }
}

fn version(v: Version) -> Value {
    Value::Name(Name::Version(v.wire()))
}

fn text(t: &str) -> Value {
    Value::Text(t.to_string())
}

impl Decision {
    /// What the decision was about, as named typed values (the same names in every
    /// rendering): the suite chosen, the group, the reason refused, ….
    pub fn params(&self) -> Vec<(&'static str, Value)> {
        use Value::{Bytes, Flag, Number};
        let suite = |s: &CipherSuite| ("suite", Value::Name(Name::CipherSuite(*s)));
        let group = |g: &NamedGroup| ("group", Value::Name(Name::Group(*g)));
        let scheme = |s: &SignatureScheme| ("scheme", Value::Name(Name::SignatureScheme(*s)));
        let by = |b: &Resumption| ("by", text(b.id()));
        let key = |k: &KeyKind| {
            let id = match k {
                KeyKind::Rsa => "rsa",
                KeyKind::Ecdsa => "ecdsa",
                KeyKind::Ed25519 => "ed25519",
            };
            ("key", text(id))
        };
        match self {
            Self::ResumptionOffered {
                version: v,
                server_name,
                by: b,
            }
            | Self::SessionSaved {
                version: v,
                server_name,
                by: b,
            } => vec![
                ("version", version(*v)),
                ("server_name", text(server_name)),
                by(b),
            ],
            Self::Negotiated12 {
                suite: s,
                extended_master_secret,
            } => vec![
                suite(s),
                ("extended_master_secret", Flag(*extended_master_secret)),
            ],
            Self::Negotiated13 {
                suite: s,
                group: g,
                server_share_len,
            } => vec![
                suite(s),
                group(g),
                ("server_share_len", Number(*server_share_len as u64)),
            ],
            Self::ServerResumes12 { by: b } | Self::Resuming12 { by: b } => vec![by(b)],
            Self::ChainVerified { server_name }
            | Self::ChainAcceptedByVerifier { server_name }
            | Self::CachedSessionExpired { server_name } => {
                vec![("server_name", text(server_name))]
            }
            Self::ChainRejected(e) | Self::ClientChainRejected(e) => {
                vec![("reason", Value::Text(e.to_string()))]
            }
            Self::ClientCertificateRequested { scheme: s } => match s {
                Some(s) => vec![scheme(s)],
                None => Vec::new(),
            },
            Self::ClientCertificateAsked { required } | Self::NoClientCertificate { required } => {
                vec![("required", Value::Flag(*required))]
            }
            Self::ClientChainVerified { subject } => vec![("subject", text(subject))],
            Self::EchAccepted {
                public_name,
                server_name,
            } => vec![
                ("public_name", text(public_name)),
                ("server_name", text(server_name)),
            ],
            Self::EchRejected { public_name } | Self::EchNotAccepted { public_name } => {
                vec![("public_name", text(public_name))]
            }
            Self::EchOffered {
                public_name,
                server_name,
                config_id,
                encoded_len,
            } => vec![
                ("public_name", text(public_name)),
                ("server_name", text(server_name)),
                ("config_id", Number(u64::from(*config_id))),
                ("encoded_len", Number(*encoded_len as u64)),
            ],
            Self::ClientCertificateVerifyVerified { scheme: s } => vec![scheme(s)],
            Self::ServerKeyExchangeVerified {
                group: g,
                server_public,
                scheme: s,
            }
            | Self::ServerKeyShareSigned {
                group: g,
                server_public,
                scheme: s,
            } => vec![
                group(g),
                ("server_public", Bytes(server_public.clone())),
                scheme(s),
            ],
            Self::CertificateVerifyVerified { scheme: s } => vec![scheme(s)],
            Self::ClientKeyShareSent { client_public }
            | Self::ClientKeyShareReceived { client_public } => {
                vec![("client_public", Bytes(client_public.clone()))]
            }
            Self::PreMasterSecretEncrypted { ciphertext_len } => {
                vec![("ciphertext_len", Number(*ciphertext_len as u64))]
            }
            Self::HelloRetryRequested { group: g, cookie } => {
                let mut p = g.iter().map(group).collect::<Vec<_>>();
                p.push(("cookie", Flag(*cookie)));
                p
            }
            Self::FinishedVerified { peer, version: v } => vec![
                (
                    "peer",
                    text(match peer {
                        Side::Client => "client",
                        Side::Server => "server",
                    }),
                ),
                ("version", version(*v)),
            ],
            Self::ResumptionRefused { version: v, reason } => {
                vec![("version", version(*v)), ("reason", text(reason.id()))]
            }
            Self::Chose12 {
                suite: s,
                key: k,
                by_name,
                extended_master_secret,
            } => vec![
                suite(s),
                key(k),
                ("by_name", Flag(*by_name)),
                ("extended_master_secret", Flag(*extended_master_secret)),
            ],
            Self::Chose13 {
                suite: s,
                group: g,
                key: k,
                by_name,
                scheme: sc,
            } => vec![
                suite(s),
                group(g),
                key(k),
                ("by_name", Flag(*by_name)),
                scheme(sc),
            ],
            Self::Resuming13 { suite: s, group: g } => vec![suite(s), group(g)],
            Self::HelloRetryRequestSent { group: g } => vec![group(g)],
            Self::RenegotiationRefused(trigger) => vec![(
                "trigger",
                text(match trigger {
                    RenegotiationTrigger::HelloRequest => "hello_request",
                    RenegotiationTrigger::ClientHello => "client_hello",
                }),
            )],
            Self::ServerResumes13
            | Self::HandshakeEncrypted
            | Self::ApplicationKeysInstalled
            | Self::KeyUpdateSent
            | Self::KeyUpdateReceived
            | Self::RsaKeyExchange
            | Self::PreMasterSecretDecrypted
            | Self::SessionStored
            | Self::EarlyDataSkipped
            | Self::EchGreaseSent => Vec::new(),
        }
    }

    /// Every kind [`Decision::kind`] returns, for renderings that need a text per kind (a
    /// unit test checks the list against one decision of each kind).
    pub const KINDS: &'static [&'static str] = &[
        "resumption_offered",
        "negotiated12",
        "negotiated13",
        "server_resumes12",
        "server_resumes13",
        "chain_verified",
        "chain_accepted_by_verifier",
        "chain_rejected",
        "server_key_exchange_verified",
        "certificate_verify_verified",
        "client_certificate_requested",
        "client_certificate_asked",
        "no_client_certificate",
        "client_chain_verified",
        "client_chain_rejected",
        "client_certificate_verify_verified",
        "ech_accepted",
        "ech_rejected",
        "ech_offered",
        "ech_grease_sent",
        "ech_not_accepted",
        "client_key_share_sent",
        "pre_master_secret_encrypted",
        "hello_retry_requested",
        "handshake_encrypted",
        "finished_verified",
        "application_keys_installed",
        "session_saved",
        "key_update_sent",
        "key_update_received",
        "resumption_refused",
        "resuming12",
        "chose12",
        "server_key_share_signed",
        "rsa_key_exchange",
        "client_key_share_received",
        "pre_master_secret_decrypted",
        "session_stored",
        "chose13",
        "resuming13",
        "hello_retry_request_sent",
        "early_data_skipped",
        "cached_session_expired",
        "renegotiation_refused",
    ];

    /// A stable identifier for the kind of decision (`chose13`, `resumption_refused`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ResumptionOffered { .. } => "resumption_offered",
            Self::Negotiated12 { .. } => "negotiated12",
            Self::Negotiated13 { .. } => "negotiated13",
            Self::ServerResumes12 { .. } => "server_resumes12",
            Self::ServerResumes13 => "server_resumes13",
            Self::ChainVerified { .. } => "chain_verified",
            Self::ChainAcceptedByVerifier { .. } => "chain_accepted_by_verifier",
            Self::ChainRejected(_) => "chain_rejected",
            Self::ServerKeyExchangeVerified { .. } => "server_key_exchange_verified",
            Self::CertificateVerifyVerified { .. } => "certificate_verify_verified",
            Self::ClientCertificateRequested { .. } => "client_certificate_requested",
            Self::ClientCertificateAsked { .. } => "client_certificate_asked",
            Self::NoClientCertificate { .. } => "no_client_certificate",
            Self::ClientChainVerified { .. } => "client_chain_verified",
            Self::ClientChainRejected(_) => "client_chain_rejected",
            Self::ClientCertificateVerifyVerified { .. } => "client_certificate_verify_verified",
            Self::EchAccepted { .. } => "ech_accepted",
            Self::EchRejected { .. } => "ech_rejected",
            Self::EchOffered { .. } => "ech_offered",
            Self::EchGreaseSent => "ech_grease_sent",
            Self::EchNotAccepted { .. } => "ech_not_accepted",
            Self::ClientKeyShareSent { .. } => "client_key_share_sent",
            Self::PreMasterSecretEncrypted { .. } => "pre_master_secret_encrypted",
            Self::HelloRetryRequested { .. } => "hello_retry_requested",
            Self::HandshakeEncrypted => "handshake_encrypted",
            Self::FinishedVerified { .. } => "finished_verified",
            Self::ApplicationKeysInstalled => "application_keys_installed",
            Self::SessionSaved { .. } => "session_saved",
            Self::KeyUpdateSent => "key_update_sent",
            Self::KeyUpdateReceived => "key_update_received",
            Self::ResumptionRefused { .. } => "resumption_refused",
            Self::Resuming12 { .. } => "resuming12",
            Self::Chose12 { .. } => "chose12",
            Self::ServerKeyShareSigned { .. } => "server_key_share_signed",
            Self::RsaKeyExchange => "rsa_key_exchange",
            Self::ClientKeyShareReceived { .. } => "client_key_share_received",
            Self::PreMasterSecretDecrypted => "pre_master_secret_decrypted",
            Self::SessionStored => "session_stored",
            Self::Chose13 { .. } => "chose13",
            Self::Resuming13 { .. } => "resuming13",
            Self::HelloRetryRequestSent { .. } => "hello_retry_request_sent",
            Self::EarlyDataSkipped => "early_data_skipped",
            Self::CachedSessionExpired { .. } => "cached_session_expired",
            Self::RenegotiationRefused(_) => "renegotiation_refused",
        }
    }
}
