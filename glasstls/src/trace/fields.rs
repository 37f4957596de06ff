//! Every field of every handshake message, as typed values under stable identifiers, in wire
//! order: what the events carry.

use super::{Field, FieldId as F, Name, Value};
use crate::wire::{
    ClientHello, Extension, ExtensionType, HandshakeMessage, HandshakePayload as P, KeyShareEntry,
    ServerHello,
};
use crate::x509::CertificateSummary;
use rustls_pki_types::CertificateDer;

fn field(id: F, value: Value) -> Field {
    Field { id, value }
}

fn bytes(b: &[u8]) -> Value {
    Value::Bytes(b.to_vec())
}

fn names<T: Copy>(items: &[T], name: impl Fn(T) -> Name) -> Value {
    Value::List(items.iter().map(|i| Value::Name(name(*i))).collect())
}

/// The fields of a message.
pub(crate) fn message_fields(msg: &HandshakeMessage) -> Vec<Field> {
    match &msg.payload {
        P::ClientHello(ch) => client_hello(ch),
        P::ServerHello(sh) => server_hello(sh),
        P::Certificate(chain) => vec![field(
            F::CertificateList,
            Value::List(chain.iter().map(|c| certificate(c, None)).collect()),
        )],
        P::Certificate13(c) => vec![
            field(F::CertificateRequestContext, bytes(&c.context)),
            field(
                F::CertificateList,
                Value::List(
                    c.entries
                        .iter()
                        .map(|e| certificate(&e.cert, Some(&e.extensions)))
                        .collect(),
                ),
            ),
        ],
        P::EncryptedExtensions(exts) => exts
            .iter()
            .map(|e| match e {
                Extension::Unknown { typ, data } if *typ == ExtensionType::EncryptedClientHello => {
                    field(F::Extension(*typ), retry_configs(data))
                }
                other => extension(other),
            })
            .collect(),
        P::CertificateRequest13(cr) => {
            let mut out = vec![field(F::CertificateRequestContext, bytes(&cr.context))];
            out.extend(cr.extensions.iter().map(extension));
            out
        }
        P::CertificateRequest(cr) => vec![
            field(
                F::CertificateTypes,
                names(&cr.certificate_types, Name::CertificateType),
            ),
            field(
                F::SupportedSignatureAlgorithms,
                names(&cr.signature_schemes, Name::SignatureScheme),
            ),
            field(
                F::CertificateAuthorities,
                Value::List(cr.authorities.iter().map(|a| bytes(a)).collect()),
            ),
        ],
        P::NewSessionTicket13(t) => vec![
            field(F::TicketLifetime, Value::Number(u64::from(t.lifetime))),
            field(F::TicketAgeAdd, Value::Number(u64::from(t.age_add))),
            field(F::TicketNonce, bytes(&t.nonce)),
            field(F::Ticket, bytes(&t.ticket)),
        ]
        .into_iter()
        .chain(t.extensions.iter().map(extension))
        .collect(),
        P::NewSessionTicket(t) => vec![
            field(
                F::TicketLifetimeHint,
                Value::Number(u64::from(t.lifetime_hint)),
            ),
            field(F::Ticket, bytes(&t.ticket)),
        ],
        P::KeyUpdate(request) => vec![field(
            F::RequestUpdate,
            Value::Name(Name::KeyUpdateRequest(*request)),
        )],
        P::ServerKeyExchange(body) | P::ClientKeyExchange(body) => {
            vec![field(F::KeyExchange, bytes(body))]
        }
        P::Finished(verify_data) => vec![field(F::VerifyData, bytes(verify_data))],
        P::CertificateVerify(signed) => vec![
            field(
                F::Algorithm,
                Value::Name(Name::SignatureScheme(signed.scheme)),
            ),
            field(F::Signature, bytes(&signed.signature)),
        ],
        P::Unknown(_, body) => vec![field(F::Body, bytes(body))],
        P::HelloRequest | P::ServerHelloDone => Vec::new(),
    }
}

fn client_hello(ch: &ClientHello) -> Vec<Field> {
    let mut out = vec![
        field(
            F::ClientVersion,
            Value::Name(Name::Version(ch.client_version)),
        ),
        field(F::Random, bytes(&ch.random)),
        field(F::SessionId, bytes(&ch.session_id)),
        field(F::CipherSuites, names(&ch.cipher_suites, Name::CipherSuite)),
        field(
            F::CompressionMethods,
            names(&ch.compression_methods, Name::Compression),
        ),
    ];
    out.extend(ch.extensions.iter().map(|e| match e {
        Extension::Unknown { typ, data } if *typ == ExtensionType::EncryptedClientHello => {
            field(F::Extension(*typ), ech_client_hello(data))
        }
        other => extension(other),
    }));
    out
}

/// RFC 9849 §5 ECHClientHello: outer (what it was sealed to, and the sealed inner hello) or
/// inner (a marker); bytes that parse as neither (GREASE looks like outer) stay bytes.
fn ech_client_hello(data: &[u8]) -> Value {
    use crate::wire::codec::Reader;
    if data == [1] {
        return Value::Struct(vec![field(F::EchType, Value::Text("inner".into()))]);
    }
    let outer = || -> Option<Value> {
        let mut r = Reader::new(data);
        (r.u8("type").ok()? == 0).then_some(())?;
        let (kdf, aead) = (r.u16("kdf_id").ok()?, r.u16("aead_id").ok()?);
        let config_id = r.u8("config_id").ok()?;
        let enc_len = usize::from(r.u16("enc").ok()?);
        let enc = r.take(enc_len, "enc").ok()?;
        let payload_len = usize::from(r.u16("payload").ok()?);
        let payload = r.take(payload_len, "payload").ok()?;
        r.is_empty().then_some(())?;
        let name = |n: Option<&str>, id: u16| n.map_or_else(|| format!("0x{id:04x}"), Into::into);
        Some(Value::Struct(vec![
            field(F::EchType, Value::Text("outer".into())),
            field(F::ConfigId, Value::Number(u64::from(config_id))),
            field(
                F::HpkeSuite,
                Value::Text(format!(
                    "{}, {}",
                    name(crate::hpke::kdf_name(kdf), kdf),
                    name(crate::hpke::aead_name(aead), aead)
                )),
            ),
            field(F::Enc, bytes(enc)),
            field(F::Payload, bytes(payload)),
        ]))
    };
    outer().unwrap_or_else(|| bytes(data))
}

/// RFC 9849 §5 ECHEncryptedExtensions: the configs a server sends to retry with.
fn retry_configs(data: &[u8]) -> Value {
    match crate::ech::parse_config_list(data) {
        Ok(configs) => Value::Struct(vec![field(
            F::RetryConfigs,
            Value::List(
                configs
                    .iter()
                    .map(|c| {
                        Value::Struct(vec![
                            field(F::ConfigId, Value::Number(u64::from(c.config_id))),
                            field(F::PublicName, Value::Text(c.public_name.clone())),
                        ])
                    })
                    .collect(),
            ),
        )]),
        Err(_) => bytes(data),
    }
}

fn server_hello(sh: &ServerHello) -> Vec<Field> {
    let mut out = vec![
        field(
            F::ServerVersion,
            Value::Name(Name::Version(sh.server_version)),
        ),
        field(F::Random, bytes(&sh.random)),
        field(F::SessionId, bytes(&sh.session_id)),
        field(
            F::CipherSuite,
            Value::Name(Name::CipherSuite(sh.cipher_suite)),
        ),
        field(
            F::CompressionMethod,
            Value::Name(Name::Compression(sh.compression_method)),
        ),
    ];
    out.extend(sh.extensions.iter().map(|e| match e {
        // RFC 9849 §7.2.1: in a HelloRetryRequest, the acceptance confirmation.
        Extension::Unknown { typ, data } if *typ == ExtensionType::EncryptedClientHello => field(
            F::Extension(*typ),
            Value::Struct(vec![field(F::Confirmation, bytes(data))]),
        ),
        other => extension(other),
    }));
    out
}

fn certificate(cert: &CertificateDer<'_>, extensions: Option<&[u8]>) -> Value {
    let summary = CertificateSummary::of(cert);
    let mut fields = vec![
        field(F::Subject, Value::Text(summary.subject)),
        field(F::Issuer, Value::Text(summary.issuer)),
        field(F::NotBefore, Value::Text(summary.not_before)),
        field(F::NotAfter, Value::Text(summary.not_after)),
        field(F::CertData, bytes(cert.as_ref())),
    ];
    if let Some(extensions) = extensions {
        fields.push(field(F::EntryExtensions, bytes(extensions)));
    }
    Value::Struct(fields)
}

fn key_share(share: &KeyShareEntry) -> Value {
    Value::Struct(vec![
        field(F::Group, Value::Name(Name::Group(share.group))),
        field(F::KeyExchange, bytes(&share.key_exchange)),
    ])
}

fn extension(ext: &Extension) -> Field {
    let value = match ext {
        Extension::ServerName(entries) => Value::List(
            entries
                .iter()
                .map(|e| {
                    Value::Struct(vec![
                        field(F::NameType, Value::Name(Name::ServerNameType(e.name_type))),
                        field(
                            F::HostName,
                            Value::Text(String::from_utf8_lossy(&e.name).into_owned()),
                        ),
                    ])
                })
                .collect(),
        ),
        Extension::ServerNameAck | Extension::ExtendedMasterSecret => Value::Empty,
        Extension::SupportedGroups(groups) => names(groups, Name::Group),
        Extension::EcPointFormats(formats) => names(formats, Name::PointFormat),
        Extension::SignatureAlgorithms(schemes) => names(schemes, Name::SignatureScheme),
        Extension::Alpn(protocols) => Value::List(protocols.iter().map(|p| bytes(p)).collect()),
        Extension::RenegotiationInfo(data)
        | Extension::SessionTicket(data)
        | Extension::Cookie(data) => bytes(data),
        Extension::SupportedVersions(versions) => names(versions, Name::Version),
        Extension::SelectedVersion(version) => Value::Name(Name::Version(*version)),
        Extension::KeyShares(shares) => Value::List(shares.iter().map(key_share).collect()),
        Extension::KeyShare(share) => key_share(share),
        Extension::KeyShareRetry(group) => Value::Name(Name::Group(*group)),
        Extension::PskKeyExchangeModes(modes) => names(modes, Name::PskMode),
        Extension::PreSharedKey(offered) => Value::Struct(vec![
            field(
                F::Identities,
                Value::List(
                    offered
                        .identities
                        .iter()
                        .map(|i| {
                            Value::Struct(vec![
                                field(F::Identity, bytes(&i.identity)),
                                field(
                                    F::ObfuscatedTicketAge,
                                    Value::Number(u64::from(i.obfuscated_ticket_age)),
                                ),
                            ])
                        })
                        .collect(),
                ),
            ),
            field(
                F::Binders,
                Value::List(offered.binders.iter().map(|b| bytes(b)).collect()),
            ),
        ]),
        Extension::PreSharedKeySelected(index) => Value::Number(u64::from(*index)),
        Extension::Unknown { data, .. } => bytes(data),
    };
    field(F::Extension(ext.typ()), value)
}
