//! Handshake messages and hello extensions (RFC 5246 §7.4, RFC 6066, RFC 7627, RFC 8422,
//! RFC 7301, RFC 5746). Each type decodes from exactly its bytes and encodes back to them.

use super::codec::{
    Codec, InvalidMessage, LengthPrefix, Reader, put_list, put_prefixed, put_vec, read_list,
};
use super::enums::{
    CipherSuite, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use rustls_pki_types::CertificateDer;

/// RFC 5246 §7.4.1.2: `opaque SessionID<0..32>`.
pub const MAX_SESSION_ID_LEN: usize = 32;

/// A handshake message: the 4-byte header and its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeMessage {
    /// The body, decoded.
    pub payload: HandshakePayload,
}

#[derive(Clone, Debug, PartialEq, Eq)]
/// A handshake message's body, by type (RFC 5246 §7.4, RFC 8446 §4).
pub enum HandshakePayload {
    /// RFC 5246 §7.4.1.1.
    HelloRequest,
    /// RFC 5246 §7.4.1.2, RFC 8446 §4.1.2.
    ClientHello(ClientHello),
    /// RFC 5246 §7.4.1.3, RFC 8446 §4.1.3 (and HelloRetryRequest).
    ServerHello(ServerHello),
    /// TLS 1.2 (RFC 5246 §7.4.2).
    Certificate(Vec<CertificateDer<'static>>),
    /// Its structure depends on the negotiated key exchange; see [`EcdheServerKeyExchange`].
    ServerKeyExchange(Vec<u8>),
    /// TLS 1.2 (RFC 5246 §7.4.4).
    CertificateRequest(CertificateRequest),
    /// RFC 5246 §7.4.5.
    ServerHelloDone,
    /// RFC 5246 §7.4.8, RFC 8446 §4.4.3.
    CertificateVerify(DigitallySigned),
    /// Its structure depends on the negotiated key exchange; see [`ClientKeyExchange`].
    ClientKeyExchange(Vec<u8>),
    /// verify_data (RFC 5246 §7.4.9, RFC 8446 §4.4.4).
    Finished(Vec<u8>),
    /// TLS 1.2 (RFC 5077 §3.3).
    NewSessionTicket(NewSessionTicket),
    /// TLS 1.3 (RFC 8446 §4.3.1).
    EncryptedExtensions(Vec<Extension>),
    /// TLS 1.3 (RFC 8446 §4.4.2).
    Certificate13(Certificate13),
    /// TLS 1.3 (RFC 8446 §4.3.2).
    CertificateRequest13(CertificateRequest13),
    /// TLS 1.3 (RFC 8446 §4.6.1).
    NewSessionTicket13(NewSessionTicket13),
    /// TLS 1.3 (RFC 8446 §4.6.3): 0 = update_not_requested, 1 = update_requested.
    KeyUpdate(u8),
    /// A type we do not decode, with its body.
    Unknown(HandshakeType, Vec<u8>),
}

impl HandshakeMessage {
    /// A message around its body.
    pub fn new(payload: HandshakePayload) -> Self {
        Self { payload }
    }

    /// The message's type.
    pub fn typ(&self) -> HandshakeType {
        use HandshakePayload as P;
        match &self.payload {
            P::HelloRequest => HandshakeType::HelloRequest,
            P::ClientHello(_) => HandshakeType::ClientHello,
            P::ServerHello(_) => HandshakeType::ServerHello,
            P::Certificate(_) => HandshakeType::Certificate,
            P::ServerKeyExchange(_) => HandshakeType::ServerKeyExchange,
            P::CertificateRequest(_) => HandshakeType::CertificateRequest,
            P::ServerHelloDone => HandshakeType::ServerHelloDone,
            P::CertificateVerify(_) => HandshakeType::CertificateVerify,
            P::ClientKeyExchange(_) => HandshakeType::ClientKeyExchange,
            P::Finished(_) => HandshakeType::Finished,
            P::NewSessionTicket(_) | P::NewSessionTicket13(_) => HandshakeType::NewSessionTicket,
            P::EncryptedExtensions(_) => HandshakeType::EncryptedExtensions,
            P::Certificate13(_) => HandshakeType::Certificate,
            P::CertificateRequest13(_) => HandshakeType::CertificateRequest,
            P::KeyUpdate(_) => HandshakeType::KeyUpdate,
            P::Unknown(typ, _) => *typ,
        }
    }
}

impl Codec for HandshakeMessage {
    fn encode(&self, out: &mut Vec<u8>) {
        use HandshakePayload as P;
        self.typ().encode(out);
        put_prefixed(out, LengthPrefix::U24, |out| match &self.payload {
            P::HelloRequest | P::ServerHelloDone => {}
            P::ClientHello(ch) => ch.encode(out),
            P::ServerHello(sh) => sh.encode(out),
            P::Certificate(chain) => put_prefixed(out, LengthPrefix::U24, |out| {
                for cert in chain {
                    put_vec(out, LengthPrefix::U24, cert.as_ref());
                }
            }),
            P::CertificateRequest(cr) => cr.encode(out),
            P::CertificateVerify(ds) => ds.encode(out),
            P::ServerKeyExchange(body)
            | P::ClientKeyExchange(body)
            | P::Finished(body)
            | P::Unknown(_, body) => out.extend_from_slice(body),
            P::NewSessionTicket(t) => t.encode(out),
            P::EncryptedExtensions(exts) => encode_extension_block(out, exts),
            P::Certificate13(c) => c.encode(out),
            P::CertificateRequest13(c) => c.encode(out),
            P::NewSessionTicket13(t) => t.encode(out),
            P::KeyUpdate(request) => out.push(*request),
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Self::read_versioned(r, false)
    }
}

impl HandshakeMessage {
    /// Decodes one TLS 1.3 handshake message (where Certificate, CertificateRequest and
    /// NewSessionTicket have their 1.3 shapes), rejecting trailing bytes.
    pub fn from_bytes_tls13(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let msg = Self::read_versioned(&mut r, true)?;
        r.expect_empty("handshake message")?;
        Ok(msg)
    }

    fn read_versioned(r: &mut Reader<'_>, tls13: bool) -> Result<Self, InvalidMessage> {
        use HandshakePayload as P;
        let typ = HandshakeType::read(r)?;
        let mut body = r.sub(LengthPrefix::U24, "handshake message")?;
        let what = typ.name().unwrap_or("handshake message");
        let payload = match typ {
            HandshakeType::Certificate if tls13 => {
                P::Certificate13(Certificate13::read(&mut body)?)
            }
            HandshakeType::CertificateRequest if tls13 => {
                P::CertificateRequest13(CertificateRequest13::read(&mut body)?)
            }
            HandshakeType::NewSessionTicket if tls13 => {
                P::NewSessionTicket13(NewSessionTicket13::read(&mut body)?)
            }
            HandshakeType::EncryptedExtensions if tls13 => {
                P::EncryptedExtensions(read_extension_block(&mut body, Hello::Encrypted)?)
            }
            HandshakeType::KeyUpdate if tls13 => match body.u8("KeyUpdate")? {
                request @ (0 | 1) => P::KeyUpdate(request),
                _ => return Err(InvalidMessage::IllegalValue("KeyUpdate.request_update")),
            },
            HandshakeType::HelloRequest if !tls13 => P::HelloRequest,
            HandshakeType::ClientHello => P::ClientHello(ClientHello::read(&mut body)?),
            HandshakeType::ServerHello => P::ServerHello(ServerHello::read(&mut body)?),
            HandshakeType::Certificate => {
                let mut list = body.sub(LengthPrefix::U24, "Certificate")?;
                let mut chain = Vec::new();
                while !list.is_empty() {
                    let cert = list.sub(LengthPrefix::U24, "ASN.1Cert")?.rest();
                    if cert.is_empty() {
                        return Err(InvalidMessage::BadLength("ASN.1Cert"));
                    }
                    chain.push(CertificateDer::from(cert.to_vec()));
                }
                P::Certificate(chain)
            }
            HandshakeType::ServerKeyExchange => P::ServerKeyExchange(body.rest().to_vec()),
            HandshakeType::CertificateRequest => {
                P::CertificateRequest(CertificateRequest::read(&mut body)?)
            }
            HandshakeType::ServerHelloDone => P::ServerHelloDone,
            HandshakeType::CertificateVerify => {
                P::CertificateVerify(DigitallySigned::read(&mut body)?)
            }
            HandshakeType::ClientKeyExchange => P::ClientKeyExchange(body.rest().to_vec()),
            HandshakeType::Finished => P::Finished(body.rest().to_vec()),
            HandshakeType::NewSessionTicket => {
                P::NewSessionTicket(NewSessionTicket::read(&mut body)?)
            }
            other => P::Unknown(other, body.rest().to_vec()),
        };
        body.expect_empty(what)?;
        Ok(Self { payload })
    }
}

/// RFC 5077 §3.3: `struct { uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>; }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicket {
    /// Seconds (0: unspecified).
    pub lifetime_hint: u32,
    /// The ticket, opaque to the client.
    pub ticket: Vec<u8>,
}

impl Codec for NewSessionTicket {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.lifetime_hint.to_be_bytes());
        put_vec(out, LengthPrefix::U16, &self.ticket);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            lifetime_hint: r.u32("ticket_lifetime_hint")?,
            ticket: r.vec(LengthPrefix::U16, "ticket")?,
        })
    }
}

/// RFC 5246 §7.4.1.2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// legacy_version in TLS 1.3.
    pub client_version: ProtocolVersion,
    /// 32 random bytes.
    pub random: [u8; 32],
    /// legacy_session_id (or its echo) in TLS 1.3.
    pub session_id: Vec<u8>,
    /// Suites offered, best first.
    pub cipher_suites: Vec<CipherSuite>,
    /// Must include null (0).
    pub compression_methods: Vec<u8>,
    /// Extensions in wire order.
    pub extensions: Vec<Extension>,
}

impl ClientHello {
    /// The extension of this type, if present.
    pub fn find(&self, typ: ExtensionType) -> Option<&Extension> {
        self.extensions.iter().find(|e| e.typ() == typ)
    }

    /// Adds `ext` last, but before pre_shared_key, which RFC 8446 §4.2.11 keeps last ("The
    /// "pre_shared_key" extension MUST be the last extension in the ClientHello"); returns
    /// where it went.
    pub fn insert_before_psk(&mut self, ext: Extension) -> usize {
        let at = self
            .extensions
            .iter()
            .position(|e| e.typ() == ExtensionType::PreSharedKey)
            .unwrap_or(self.extensions.len());
        self.extensions.insert(at, ext);
        at
    }

    /// The host name from server_name, if the client sent one.
    pub fn server_name(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|e| match e {
            Extension::ServerName(names) => names
                .iter()
                .find(|n| n.name_type == 0)
                .map(|n| n.name.as_slice()),
            _ => None,
        })
    }
}

impl Codec for ClientHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.client_version.encode(out);
        out.extend_from_slice(&self.random);
        put_vec(out, LengthPrefix::U8, &self.session_id);
        put_list(out, LengthPrefix::U16, &self.cipher_suites);
        put_vec(out, LengthPrefix::U8, &self.compression_methods);
        encode_extensions(out, &self.extensions);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let client_version = ProtocolVersion::read(r)?;
        let random = r.array("ClientHello.random")?;
        let session_id = read_session_id(r)?;
        let cipher_suites = read_list(r, LengthPrefix::U16, true, "ClientHello.cipher_suites")?;
        let compression_methods = r.vec(LengthPrefix::U8, "ClientHello.compression_methods")?;
        if compression_methods.is_empty() {
            return Err(InvalidMessage::BadLength("ClientHello.compression_methods"));
        }
        let extensions = read_extensions(r, Hello::Client)?;
        Ok(Self {
            client_version,
            random,
            session_id,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }
}

/// RFC 5246 §7.4.1.3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// legacy_version in TLS 1.3.
    pub server_version: ProtocolVersion,
    /// 32 random bytes.
    pub random: [u8; 32],
    /// legacy_session_id (or its echo) in TLS 1.3.
    pub session_id: Vec<u8>,
    /// The suite chosen.
    pub cipher_suite: CipherSuite,
    /// Always null (0).
    pub compression_method: u8,
    /// Extensions in wire order.
    pub extensions: Vec<Extension>,
}

impl ServerHello {
    /// The extension of this type, if present.
    pub fn find(&self, typ: ExtensionType) -> Option<&Extension> {
        self.extensions.iter().find(|e| e.typ() == typ)
    }

    /// RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello with this random.
    pub fn is_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_REQUEST_RANDOM
    }

    /// The version chosen by supported_versions (TLS 1.3), else the legacy field.
    pub fn selected_version(&self) -> ProtocolVersion {
        self.extensions
            .iter()
            .find_map(|e| match e {
                Extension::SelectedVersion(v) => Some(*v),
                _ => None,
            })
            .unwrap_or(self.server_version)
    }
}

/// RFC 8446 §4.1.3: SHA-256 of "HelloRetryRequest".
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// RFC 8446 §4.1.3: the last eight bytes of a TLS 1.2 ServerHello.random from a server that
/// supports TLS 1.3.
pub const DOWNGRADE_TLS12: [u8; 8] = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01];

/// RFC 8446 §4.4.2: `struct { opaque certificate_request_context<0..2^8-1>;
/// CertificateEntry certificate_list<0..2^24-1>; }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate13 {
    /// certificate_request_context.
    pub context: Vec<u8>,
    /// The chain, end entity first.
    pub entries: Vec<CertificateEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
/// One certificate of a TLS 1.3 chain.
pub struct CertificateEntry {
    /// The certificate.
    pub cert: CertificateDer<'static>,
    /// The entry's extensions, kept opaque (OCSP, SCTs): we do not act on them.
    pub extensions: Vec<u8>,
}

impl Codec for Certificate13 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_vec(out, LengthPrefix::U8, &self.context);
        put_prefixed(out, LengthPrefix::U24, |out| {
            for entry in &self.entries {
                put_vec(out, LengthPrefix::U24, entry.cert.as_ref());
                put_vec(out, LengthPrefix::U16, &entry.extensions);
            }
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let context = r.vec(LengthPrefix::U8, "certificate_request_context")?;
        let mut list = r.sub(LengthPrefix::U24, "certificate_list")?;
        let mut entries = Vec::new();
        while !list.is_empty() {
            let cert = list.vec(LengthPrefix::U24, "cert_data")?;
            if cert.is_empty() {
                return Err(InvalidMessage::BadLength("cert_data"));
            }
            let extensions = list.vec(LengthPrefix::U16, "CertificateEntry.extensions")?;
            entries.push(CertificateEntry {
                cert: CertificateDer::from(cert),
                extensions,
            });
        }
        Ok(Self { context, entries })
    }
}

impl Certificate13 {
    /// The type of the first CertificateEntry extension, if any entry carries one.
    pub fn entry_extension(&self) -> Result<Option<ExtensionType>, InvalidMessage> {
        match self.entries.iter().find(|e| !e.extensions.is_empty()) {
            None => Ok(None),
            Some(entry) => match *entry.extensions {
                [hi, lo, ..] => Ok(Some(ExtensionType(u16::from_be_bytes([hi, lo])))),
                _ => Err(InvalidMessage::Truncated("CertificateEntry.extensions")),
            },
        }
    }
}

/// RFC 8446 §4.3.2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest13 {
    /// certificate_request_context.
    pub context: Vec<u8>,
    /// Extensions in wire order.
    pub extensions: Vec<Extension>,
}

impl Codec for CertificateRequest13 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_vec(out, LengthPrefix::U8, &self.context);
        encode_extension_block(out, &self.extensions);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            context: r.vec(LengthPrefix::U8, "certificate_request_context")?,
            extensions: read_extension_block(r, Hello::Encrypted)?,
        })
    }
}

/// RFC 8446 §4.6.1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicket13 {
    /// ticket_lifetime, seconds.
    pub lifetime: u32,
    /// ticket_age_add.
    pub age_add: u32,
    /// ticket_nonce.
    pub nonce: Vec<u8>,
    /// The ticket, opaque to the client.
    pub ticket: Vec<u8>,
    /// Extensions in wire order.
    pub extensions: Vec<Extension>,
}

impl Codec for NewSessionTicket13 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.lifetime.to_be_bytes());
        out.extend_from_slice(&self.age_add.to_be_bytes());
        put_vec(out, LengthPrefix::U8, &self.nonce);
        put_vec(out, LengthPrefix::U16, &self.ticket);
        encode_extension_block(out, &self.extensions);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let lifetime = r.u32("ticket_lifetime")?;
        let age_add = r.u32("ticket_age_add")?;
        let nonce = r.vec(LengthPrefix::U8, "ticket_nonce")?;
        let ticket = r.vec(LengthPrefix::U16, "ticket")?;
        if ticket.is_empty() {
            return Err(InvalidMessage::BadLength("ticket"));
        }
        let extensions = read_extension_block(r, Hello::Encrypted)?;
        Ok(Self {
            lifetime,
            age_add,
            nonce,
            ticket,
            extensions,
        })
    }
}

impl Codec for ServerHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.server_version.encode(out);
        out.extend_from_slice(&self.random);
        put_vec(out, LengthPrefix::U8, &self.session_id);
        self.cipher_suite.encode(out);
        out.push(self.compression_method);
        encode_extensions(out, &self.extensions);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let server_version = ProtocolVersion::read(r)?;
        let random = r.array("ServerHello.random")?;
        let kind = if random == HELLO_RETRY_REQUEST_RANDOM {
            Hello::Retry
        } else {
            Hello::Server
        };
        Ok(Self {
            server_version,
            random,
            session_id: read_session_id(r)?,
            cipher_suite: CipherSuite::read(r)?,
            compression_method: r.u8("ServerHello.compression_method")?,
            extensions: read_extensions(r, kind)?,
        })
    }
}

fn read_session_id(r: &mut Reader<'_>) -> Result<Vec<u8>, InvalidMessage> {
    let id = r.vec(LengthPrefix::U8, "SessionID")?;
    if id.len() > MAX_SESSION_ID_LEN {
        return Err(InvalidMessage::BadLength("SessionID"));
    }
    Ok(id)
}

/// Which hello an extension block belongs to: some extensions differ in shape between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hello {
    Client,
    Server,
    /// A HelloRetryRequest: a ServerHello with the special random (RFC 8446 §4.1.4).
    Retry,
    /// TLS 1.3 EncryptedExtensions, and the extensions of a TLS 1.3 CertificateRequest.
    Encrypted,
}

/// RFC 5246 §7.4.1.4: "The presence of extensions can be detected by determining whether there
/// are bytes following the compression_methods at the end of the ClientHello."
/// "There MUST NOT be more than one extension of the same type."
fn read_extensions(r: &mut Reader<'_>, hello: Hello) -> Result<Vec<Extension>, InvalidMessage> {
    if r.is_empty() {
        return Ok(Vec::new());
    }
    read_extension_block(r, hello)
}

/// A mandatory extension block (TLS 1.3 messages always carry one, maybe empty).
fn read_extension_block(
    r: &mut Reader<'_>,
    hello: Hello,
) -> Result<Vec<Extension>, InvalidMessage> {
    let mut block = r.sub(LengthPrefix::U16, "extensions")?;
    let mut out: Vec<Extension> = Vec::new();
    while !block.is_empty() {
        let ext = Extension::read(&mut block, hello)?;
        if out.iter().any(|e| e.typ() == ext.typ()) {
            return Err(InvalidMessage::DuplicateExtension(ext.typ().0));
        }
        out.push(ext);
    }
    Ok(out)
}

fn encode_extensions(out: &mut Vec<u8>, extensions: &[Extension]) {
    if !extensions.is_empty() {
        encode_extension_block(out, extensions);
    }
}

fn encode_extension_block(out: &mut Vec<u8>, extensions: &[Extension]) {
    put_prefixed(out, LengthPrefix::U16, |out| {
        extensions.iter().for_each(|e| e.encode(out))
    });
}

/// RFC 6066 §3: one entry of ServerNameList.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerNameEntry {
    /// 0: host_name.
    pub name_type: u8,
    /// The name.
    pub name: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
/// A hello extension, decoded in the shape its message gives it.
pub enum Extension {
    /// ClientHello: the ServerNameList.
    ServerName(Vec<ServerNameEntry>),
    /// ServerHello: RFC 6066 §3 "the "extension_data" field of this extension SHALL be empty".
    ServerNameAck,
    /// RFC 8422 §5.1.1, RFC 8446 §4.2.7.
    SupportedGroups(Vec<NamedGroup>),
    /// RFC 8422 §5.1.2.
    EcPointFormats(Vec<u8>),
    /// RFC 5246 §7.4.1.4.1, RFC 8446 §4.2.3.
    SignatureAlgorithms(Vec<SignatureScheme>),
    /// RFC 7301.
    Alpn(Vec<Vec<u8>>),
    /// RFC 7627.
    ExtendedMasterSecret,
    /// RFC 5746.
    RenegotiationInfo(Vec<u8>),
    /// RFC 5077: empty asks for a ticket, else offers one.
    SessionTicket(Vec<u8>),
    /// ClientHello (RFC 8446 §4.2.1): the versions offered, best first.
    SupportedVersions(Vec<ProtocolVersion>),
    /// ServerHello and HelloRetryRequest: the version chosen.
    SelectedVersion(ProtocolVersion),
    /// ClientHello (RFC 8446 §4.2.8): one share per group.
    KeyShares(Vec<KeyShareEntry>),
    /// ServerHello: the server's share.
    KeyShare(KeyShareEntry),
    /// HelloRetryRequest: the group the client must send a share for.
    KeyShareRetry(NamedGroup),
    /// RFC 8446 §4.2.9: 1 = psk_dhe_ke.
    PskKeyExchangeModes(Vec<u8>),
    /// RFC 8446 §4.2.2.
    Cookie(Vec<u8>),
    /// ClientHello (RFC 8446 §4.2.11): the PSKs offered and their binders. Must come last.
    PreSharedKey(OfferedPsks),
    /// ServerHello: the index of the PSK the server took.
    PreSharedKeySelected(u16),
    /// An extension we keep opaque.
    Unknown {
        /// Its type.
        typ: ExtensionType,
        /// Its body.
        data: Vec<u8>,
    },
}

/// RFC 8446 §4.2.11: `PskIdentity identities<7..2^16-1>; PskBinderEntry binders<33..2^16-1>;`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferedPsks {
    /// The tickets offered.
    pub identities: Vec<PskIdentity>,
    /// A binder per identity.
    pub binders: Vec<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
/// RFC 8446 §4.2.11: one offered PSK.
pub struct PskIdentity {
    /// The ticket.
    pub identity: Vec<u8>,
    /// The ticket's age plus ticket_age_add.
    pub obfuscated_ticket_age: u32,
}

impl OfferedPsks {
    /// How many bytes the binders take at the end of the ClientHello: what RFC 8446 §4.2.11.2
    /// cuts off to form the "truncated" ClientHello the binders are computed over.
    pub fn binders_len(&self) -> usize {
        2 + self.binders.iter().map(|b| 1 + b.len()).sum::<usize>()
    }
}

impl Codec for OfferedPsks {
    fn encode(&self, out: &mut Vec<u8>) {
        put_prefixed(out, LengthPrefix::U16, |out| {
            for id in &self.identities {
                put_vec(out, LengthPrefix::U16, &id.identity);
                out.extend_from_slice(&id.obfuscated_ticket_age.to_be_bytes());
            }
        });
        put_prefixed(out, LengthPrefix::U16, |out| {
            for binder in &self.binders {
                put_vec(out, LengthPrefix::U8, binder);
            }
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut list = r.sub(LengthPrefix::U16, "identities")?;
        let mut identities = Vec::new();
        while !list.is_empty() {
            let identity = list.vec(LengthPrefix::U16, "PskIdentity.identity")?;
            if identity.is_empty() {
                return Err(InvalidMessage::BadLength("PskIdentity.identity"));
            }
            identities.push(PskIdentity {
                identity,
                obfuscated_ticket_age: list.u32("obfuscated_ticket_age")?,
            });
        }
        let mut list = r.sub(LengthPrefix::U16, "binders")?;
        let mut binders = Vec::new();
        while !list.is_empty() {
            let binder = list.vec(LengthPrefix::U8, "PskBinderEntry")?;
            if binder.len() < 32 {
                return Err(InvalidMessage::BadLength("PskBinderEntry"));
            }
            binders.push(binder);
        }
        // "PskIdentity identities<7..2^16-1>; PskBinderEntry binders<33..2^16-1>": at least one
        // of each (an empty list is out of its range: decode_error), and one binder per
        // identity (a list of each that does not pair up is an illegal value).
        if identities.is_empty() {
            return Err(InvalidMessage::BadLength("identities"));
        }
        if binders.is_empty() {
            return Err(InvalidMessage::BadLength("binders"));
        }
        if identities.len() != binders.len() {
            return Err(InvalidMessage::IllegalValue("pre_shared_key"));
        }
        Ok(Self {
            identities,
            binders,
        })
    }
}

/// RFC 8446 §4.2.8 KeyShareEntry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShareEntry {
    /// The group.
    pub group: NamedGroup,
    /// The public share.
    pub key_exchange: Vec<u8>,
}

impl Codec for KeyShareEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        self.group.encode(out);
        put_vec(out, LengthPrefix::U16, &self.key_exchange);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let group = NamedGroup::read(r)?;
        let key_exchange = r.vec(LengthPrefix::U16, "key_exchange")?;
        if key_exchange.is_empty() {
            return Err(InvalidMessage::BadLength("key_exchange"));
        }
        Ok(Self {
            group,
            key_exchange,
        })
    }
}

impl Extension {
    /// The extension's type.
    pub fn typ(&self) -> ExtensionType {
        match self {
            Self::ServerName(_) | Self::ServerNameAck => ExtensionType::ServerName,
            Self::SupportedGroups(_) => ExtensionType::SupportedGroups,
            Self::EcPointFormats(_) => ExtensionType::EcPointFormats,
            Self::SignatureAlgorithms(_) => ExtensionType::SignatureAlgorithms,
            Self::Alpn(_) => ExtensionType::Alpn,
            Self::ExtendedMasterSecret => ExtensionType::ExtendedMasterSecret,
            Self::RenegotiationInfo(_) => ExtensionType::RenegotiationInfo,
            Self::SessionTicket(_) => ExtensionType::SessionTicket,
            Self::SupportedVersions(_) | Self::SelectedVersion(_) => {
                ExtensionType::SupportedVersions
            }
            Self::KeyShares(_) | Self::KeyShare(_) | Self::KeyShareRetry(_) => {
                ExtensionType::KeyShare
            }
            Self::PskKeyExchangeModes(_) => ExtensionType::PskKeyExchangeModes,
            Self::Cookie(_) => ExtensionType::Cookie,
            Self::PreSharedKey(_) | Self::PreSharedKeySelected(_) => ExtensionType::PreSharedKey,
            Self::Unknown { typ, .. } => *typ,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        self.typ().encode(out);
        put_prefixed(out, LengthPrefix::U16, |out| match self {
            Self::ServerName(names) => put_prefixed(out, LengthPrefix::U16, |out| {
                for n in names {
                    out.push(n.name_type);
                    put_vec(out, LengthPrefix::U16, &n.name);
                }
            }),
            Self::ServerNameAck | Self::ExtendedMasterSecret => {}
            Self::SupportedGroups(groups) => put_list(out, LengthPrefix::U16, groups),
            Self::EcPointFormats(formats) => put_vec(out, LengthPrefix::U8, formats),
            Self::SignatureAlgorithms(schemes) => put_list(out, LengthPrefix::U16, schemes),
            Self::Alpn(protocols) => put_prefixed(out, LengthPrefix::U16, |out| {
                for p in protocols {
                    put_vec(out, LengthPrefix::U8, p);
                }
            }),
            Self::RenegotiationInfo(data) => put_vec(out, LengthPrefix::U8, data),
            Self::SupportedVersions(versions) => put_list(out, LengthPrefix::U8, versions),
            Self::SelectedVersion(version) => version.encode(out),
            Self::KeyShares(shares) => put_list(out, LengthPrefix::U16, shares),
            Self::KeyShare(share) => share.encode(out),
            Self::KeyShareRetry(group) => group.encode(out),
            Self::PskKeyExchangeModes(modes) => put_vec(out, LengthPrefix::U8, modes),
            Self::Cookie(cookie) => put_vec(out, LengthPrefix::U16, cookie),
            Self::PreSharedKey(psks) => psks.encode(out),
            Self::PreSharedKeySelected(index) => index.encode(out),
            Self::SessionTicket(data) | Self::Unknown { data, .. } => out.extend_from_slice(data),
        });
    }

    fn read(r: &mut Reader<'_>, hello: Hello) -> Result<Self, InvalidMessage> {
        let typ = ExtensionType::read(r)?;
        let mut body = r.sub(LengthPrefix::U16, "extension")?;
        let what = typ.name().unwrap_or("extension");
        let ext = match typ {
            ExtensionType::ServerName if hello != Hello::Client => Self::ServerNameAck,
            ExtensionType::SupportedVersions if hello == Hello::Client => {
                Self::SupportedVersions(read_list(&mut body, LengthPrefix::U8, true, what)?)
            }
            ExtensionType::SupportedVersions => {
                Self::SelectedVersion(ProtocolVersion::read(&mut body)?)
            }
            ExtensionType::KeyShare if hello == Hello::Client => {
                Self::KeyShares(read_list(&mut body, LengthPrefix::U16, false, what)?)
            }
            ExtensionType::KeyShare if hello == Hello::Retry => {
                Self::KeyShareRetry(NamedGroup::read(&mut body)?)
            }
            ExtensionType::KeyShare => Self::KeyShare(KeyShareEntry::read(&mut body)?),
            ExtensionType::PskKeyExchangeModes => {
                Self::PskKeyExchangeModes(non_empty(body.vec(LengthPrefix::U8, what)?, what)?)
            }
            ExtensionType::PreSharedKey if hello == Hello::Client => {
                Self::PreSharedKey(OfferedPsks::read(&mut body)?)
            }
            ExtensionType::PreSharedKey if hello == Hello::Server => {
                Self::PreSharedKeySelected(body.u16(what)?)
            }
            ExtensionType::Cookie => {
                Self::Cookie(non_empty(body.vec(LengthPrefix::U16, what)?, what)?)
            }
            ExtensionType::ServerName => Self::ServerName(read_server_names(&mut body)?),
            ExtensionType::SupportedGroups => {
                Self::SupportedGroups(read_list(&mut body, LengthPrefix::U16, true, what)?)
            }
            ExtensionType::EcPointFormats => {
                Self::EcPointFormats(non_empty(body.vec(LengthPrefix::U8, what)?, what)?)
            }
            ExtensionType::SignatureAlgorithms => {
                Self::SignatureAlgorithms(read_list(&mut body, LengthPrefix::U16, true, what)?)
            }
            ExtensionType::Alpn => Self::Alpn(read_protocol_names(&mut body)?),
            ExtensionType::ExtendedMasterSecret => Self::ExtendedMasterSecret,
            ExtensionType::RenegotiationInfo => {
                Self::RenegotiationInfo(body.vec(LengthPrefix::U8, what)?)
            }
            ExtensionType::SessionTicket => Self::SessionTicket(body.rest().to_vec()),
            _ => Self::Unknown {
                typ,
                data: body.rest().to_vec(),
            },
        };
        body.expect_empty(what)?;
        Ok(ext)
    }
}

/// A vector that must not be empty.
fn non_empty(v: Vec<u8>, what: &'static str) -> Result<Vec<u8>, InvalidMessage> {
    if v.is_empty() {
        return Err(InvalidMessage::BadLength(what));
    }
    Ok(v)
}

/// RFC 6066 §3: `ServerName server_name_list<1..2^16-1>`.
fn read_server_names(body: &mut Reader<'_>) -> Result<Vec<ServerNameEntry>, InvalidMessage> {
    let mut list = body.sub(LengthPrefix::U16, "server_name")?;
    let mut names = Vec::new();
    while !list.is_empty() {
        let name_type = list.u8("server_name")?;
        let name = list.vec(LengthPrefix::U16, "server_name")?;
        // RFC 6066 §3: "The ServerNameList MUST NOT contain more than one name of the same
        // name_type."
        if names
            .iter()
            .any(|n: &ServerNameEntry| n.name_type == name_type)
        {
            return Err(InvalidMessage::IllegalValue("server_name"));
        }
        if name_type == 0 && name.is_empty() {
            return Err(InvalidMessage::BadLength("server_name"));
        }
        names.push(ServerNameEntry { name_type, name });
    }
    if names.is_empty() {
        return Err(InvalidMessage::BadLength("server_name"));
    }
    Ok(names)
}

/// RFC 7301 §3.1: `ProtocolName protocol_name_list<2..2^16-1>`, each `<1..2^8-1>`.
fn read_protocol_names(body: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, InvalidMessage> {
    let what = "application_layer_protocol_negotiation";
    let mut list = body.sub(LengthPrefix::U16, what)?;
    let mut protocols = Vec::new();
    while !list.is_empty() {
        protocols.push(non_empty(list.vec(LengthPrefix::U8, what)?, what)?);
    }
    if protocols.is_empty() {
        return Err(InvalidMessage::BadLength(what));
    }
    Ok(protocols)
}

/// RFC 5246 §7.4.1.4.1 / §4.7: `digitally-signed` with its SignatureAndHashAlgorithm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitallySigned {
    /// The scheme.
    pub scheme: SignatureScheme,
    /// The signature.
    pub signature: Vec<u8>,
}

impl Codec for DigitallySigned {
    fn encode(&self, out: &mut Vec<u8>) {
        self.scheme.encode(out);
        put_vec(out, LengthPrefix::U16, &self.signature);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let scheme = SignatureScheme::read(r)?;
        let signature = r.vec(LengthPrefix::U16, "signature")?;
        if signature.is_empty() {
            return Err(InvalidMessage::BadLength("signature"));
        }
        Ok(Self { scheme, signature })
    }
}

/// RFC 8422 §5.4: ServerKeyExchange for ECDHE with a named curve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcdheServerKeyExchange {
    /// The curve and the server's share.
    pub params: EcdheParams,
    /// The signature over both randoms and the parameters.
    pub signed: DigitallySigned,
}

/// RFC 8422 §5.4 ServerECDHParams: "curve_type" must be named_curve (3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcdheParams {
    /// The group.
    pub group: NamedGroup,
    /// The server's public share.
    pub public: Vec<u8>,
}

const NAMED_CURVE: u8 = 3;

impl Codec for EcdheParams {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(NAMED_CURVE);
        self.group.encode(out);
        put_vec(out, LengthPrefix::U8, &self.public);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        if r.u8("ECParameters.curve_type")? != NAMED_CURVE {
            return Err(InvalidMessage::IllegalValue("ECParameters.curve_type"));
        }
        let group = NamedGroup::read(r)?;
        let public = r.vec(LengthPrefix::U8, "ECPoint")?;
        if public.is_empty() {
            return Err(InvalidMessage::BadLength("ECPoint"));
        }
        Ok(Self { group, public })
    }
}

impl Codec for EcdheServerKeyExchange {
    fn encode(&self, out: &mut Vec<u8>) {
        self.params.encode(out);
        self.signed.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            params: EcdheParams::read(r)?,
            signed: DigitallySigned::read(r)?,
        })
    }
}

/// RFC 5246 §7.4.7 and RFC 8422 §5.7. Which form applies depends on the negotiated suite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientKeyExchange {
    /// `EncryptedPreMasterSecret`: `opaque<0..2^16-1>` in TLS 1.2.
    Rsa(Vec<u8>),
    /// `ClientECDiffieHellmanPublic`: `opaque point <1..2^8-1>`.
    Ecdhe(Vec<u8>),
}

impl ClientKeyExchange {
    /// Appends the body's wire form.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Rsa(c) => put_vec(out, LengthPrefix::U16, c),
            Self::Ecdhe(p) => put_vec(out, LengthPrefix::U8, p),
        }
    }

    /// `EncryptedPreMasterSecret`, the body of an RSA key exchange's ClientKeyExchange.
    pub fn read_rsa(body: &[u8]) -> Result<Vec<u8>, InvalidMessage> {
        let mut r = Reader::new(body);
        let c = r.vec(LengthPrefix::U16, "EncryptedPreMasterSecret")?;
        r.expect_empty("ClientKeyExchange")?;
        Ok(c)
    }

    /// `ClientECDiffieHellmanPublic`, the body of an ECDHE ClientKeyExchange.
    pub fn read_ecdhe(body: &[u8]) -> Result<Vec<u8>, InvalidMessage> {
        let mut r = Reader::new(body);
        let p = r.vec(LengthPrefix::U8, "ClientECDiffieHellmanPublic")?;
        r.expect_empty("ClientKeyExchange")?;
        if p.is_empty() {
            return Err(InvalidMessage::BadLength("ClientECDiffieHellmanPublic"));
        }
        Ok(p)
    }
}

/// RFC 5246 §7.4.4.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest {
    /// ClientCertificateType values.
    pub certificate_types: Vec<u8>,
    /// supported_signature_algorithms.
    pub signature_schemes: Vec<SignatureScheme>,
    /// DistinguishedNames of acceptable CAs.
    pub authorities: Vec<Vec<u8>>,
}

impl CertificateRequest {
    /// RFC 5246 §7.4.4 ClientCertificateType rsa_sign.
    pub const RSA_SIGN: u8 = 1;
    /// RFC 8422 §5.5: ecdsa_sign, which also stands for EdDSA keys.
    pub const ECDSA_SIGN: u8 = 64;
}

impl Codec for CertificateRequest {
    fn encode(&self, out: &mut Vec<u8>) {
        put_vec(out, LengthPrefix::U8, &self.certificate_types);
        put_list(out, LengthPrefix::U16, &self.signature_schemes);
        put_prefixed(out, LengthPrefix::U16, |out| {
            for dn in &self.authorities {
                put_vec(out, LengthPrefix::U16, dn);
            }
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let certificate_types = r.vec(LengthPrefix::U8, "certificate_types")?;
        if certificate_types.is_empty() {
            return Err(InvalidMessage::BadLength("certificate_types"));
        }
        let signature_schemes =
            read_list(r, LengthPrefix::U16, true, "supported_signature_algorithms")?;
        let mut list = r.sub(LengthPrefix::U16, "certificate_authorities")?;
        let mut authorities = Vec::new();
        while !list.is_empty() {
            authorities.push(list.vec(LengthPrefix::U16, "DistinguishedName")?);
        }
        Ok(Self {
            certificate_types,
            signature_schemes,
            authorities,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_client_hello() -> ClientHello {
        ClientHello {
            client_version: ProtocolVersion::TLSv1_2,
            random: [7; 32],
            session_id: vec![],
            cipher_suites: vec![
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                CipherSuite(0x1a1a),
            ],
            compression_methods: vec![0],
            extensions: vec![
                Extension::ServerName(vec![ServerNameEntry {
                    name_type: 0,
                    name: b"example.test".to_vec(),
                }]),
                Extension::SupportedGroups(vec![NamedGroup::X25519]),
                Extension::EcPointFormats(vec![0]),
                Extension::SignatureAlgorithms(vec![SignatureScheme::rsa_pss_rsae_sha256]),
                Extension::Alpn(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
                Extension::ExtendedMasterSecret,
                Extension::RenegotiationInfo(vec![]),
                Extension::Unknown {
                    typ: ExtensionType(0x2a2a),
                    data: vec![1, 2, 3],
                },
            ],
        }
    }

    #[test]
    fn client_hello_round_trips() {
        let msg = HandshakeMessage::new(HandshakePayload::ClientHello(sample_client_hello()));
        let bytes = msg.to_bytes();
        assert_eq!(HandshakeMessage::from_bytes(&bytes).unwrap(), msg);
        assert_eq!(
            HandshakeMessage::from_bytes(&bytes).unwrap().to_bytes(),
            bytes
        );
    }

    #[test]
    fn rejects_trailing_bytes_inside_a_message() {
        let mut bytes = HandshakeMessage::new(HandshakePayload::ServerHelloDone).to_bytes();
        bytes[3] = 1;
        bytes.push(0);
        assert_eq!(
            HandshakeMessage::from_bytes(&bytes),
            Err(InvalidMessage::TrailingBytes("ServerHelloDone"))
        );
    }

    #[test]
    fn rejects_every_truncation_of_a_client_hello() {
        let bytes =
            HandshakeMessage::new(HandshakePayload::ClientHello(sample_client_hello())).to_bytes();
        for cut in 0..bytes.len() {
            assert!(
                HandshakeMessage::from_bytes(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn rejects_duplicate_extensions() {
        let mut ch = sample_client_hello();
        ch.extensions.push(Extension::ExtendedMasterSecret);
        let bytes = HandshakeMessage::new(HandshakePayload::ClientHello(ch)).to_bytes();
        assert_eq!(
            HandshakeMessage::from_bytes(&bytes),
            Err(InvalidMessage::DuplicateExtension(23))
        );
    }

    #[test]
    fn rejects_truncated_sni() {
        // server_name extension whose inner list claims more bytes than it has.
        let mut ch = sample_client_hello();
        ch.extensions = vec![Extension::Unknown {
            typ: ExtensionType::ServerName,
            data: vec![0, 9, 0, 0, 3, b'a'],
        }];
        let bytes = HandshakeMessage::new(HandshakePayload::ClientHello(ch)).to_bytes();
        assert!(HandshakeMessage::from_bytes(&bytes).is_err());
    }

    #[test]
    fn server_hello_without_extensions_round_trips() {
        let sh = ServerHello {
            server_version: ProtocolVersion::TLSv1_2,
            random: [1; 32],
            session_id: vec![5; 32],
            cipher_suite: CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
            compression_method: 0,
            extensions: vec![],
        };
        let msg = HandshakeMessage::new(HandshakePayload::ServerHello(sh));
        assert_eq!(HandshakeMessage::from_bytes(&msg.to_bytes()).unwrap(), msg);
    }

    #[test]
    fn rejects_overlong_session_id() {
        let mut ch = sample_client_hello();
        ch.session_id = vec![0; 33];
        let bytes = HandshakeMessage::new(HandshakePayload::ClientHello(ch)).to_bytes();
        assert_eq!(
            HandshakeMessage::from_bytes(&bytes),
            Err(InvalidMessage::BadLength("SessionID"))
        );
    }

    #[test]
    fn ecdhe_server_key_exchange_round_trips_and_rejects_explicit_curves() {
        let ske = EcdheServerKeyExchange {
            params: EcdheParams {
                group: NamedGroup::secp256r1,
                public: vec![4; 65],
            },
            signed: DigitallySigned {
                scheme: SignatureScheme::ecdsa_secp256r1_sha256,
                signature: vec![1; 70],
            },
        };
        let bytes = ske.to_bytes();
        assert_eq!(EcdheServerKeyExchange::from_bytes(&bytes).unwrap(), ske);
        let mut explicit = bytes.clone();
        explicit[0] = 1;
        assert_eq!(
            EcdheServerKeyExchange::from_bytes(&explicit),
            Err(InvalidMessage::IllegalValue("ECParameters.curve_type"))
        );
    }
}
