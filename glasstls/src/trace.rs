//! Typed handshake events: every message sent and received with its fields, every step (key
//! exchange, certificate verification, refusals), every secret derived. Values of secrets appear
//! only when the configuration says `reveal_secrets`. Building events costs nothing unless the
//! configuration turned tracing on.

use crate::wire::{AlertDescription, AlertLevel, Extension, HandshakeMessage, HandshakePayload};
use crate::x509;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A handshake message, with the fields a learner looks for.
    Message {
        direction: Direction,
        name: String,
        encrypted: bool,
        fields: Vec<(String, String)>,
    },
    ChangeCipherSpec {
        direction: Direction,
    },
    /// Something the state machine did or decided: key exchange, verification, refusal.
    Step {
        summary: String,
        details: Vec<(String, String)>,
    },
    /// A secret was derived; `value` is hex only when revealing was configured.
    Secret {
        name: &'static str,
        value: Option<String>,
    },
    Alert {
        direction: Direction,
        level: AlertLevel,
        description: AlertDescription,
    },
}

impl Event {
    pub(crate) fn step(summary: impl Into<String>) -> Self {
        Self::Step {
            summary: summary.into(),
            details: Vec::new(),
        }
    }

    pub(crate) fn step_with(summary: impl Into<String>, details: Vec<(String, String)>) -> Self {
        Self::Step {
            summary: summary.into(),
            details,
        }
    }

    pub(crate) fn message(direction: Direction, msg: &HandshakeMessage, encrypted: bool) -> Self {
        Self::Message {
            direction,
            name: msg.typ().to_string(),
            encrypted,
            fields: describe(msg),
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arrow = |d: &Direction| match d {
            Direction::Sent => "→ sent    ",
            Direction::Received => "← received",
        };
        match self {
            Self::Message {
                direction,
                name,
                encrypted,
                fields,
            } => {
                write!(
                    f,
                    "{} {name}{}",
                    arrow(direction),
                    if *encrypted { " (encrypted)" } else { "" }
                )?;
                write_fields(f, fields)
            }
            Self::ChangeCipherSpec { direction } => {
                write!(f, "{} ChangeCipherSpec", arrow(direction))
            }
            Self::Step { summary, details } => {
                write!(f, "  •        {summary}")?;
                write_fields(f, details)
            }
            Self::Secret { name, value: None } => write!(f, "  •        {name} derived"),
            Self::Secret {
                name,
                value: Some(v),
            } => write!(f, "  •        {name} derived: {v}"),
            Self::Alert {
                direction,
                level,
                description,
            } => {
                write!(f, "{} Alert ({level}, {description})", arrow(direction))
            }
        }
    }
}

fn write_fields(f: &mut fmt::Formatter<'_>, fields: &[(String, String)]) -> fmt::Result {
    for (name, value) in fields {
        write!(f, "\n               {name:<22} {value}")?;
    }
    Ok(())
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn field(name: &str, value: impl Into<String>) -> (String, String) {
    (name.to_string(), value.into())
}

fn session_id(id: &[u8]) -> String {
    if id.is_empty() {
        "(empty)".into()
    } else {
        hex(id)
    }
}

fn list<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fields of a message as the RFC names them.
pub fn describe(msg: &HandshakeMessage) -> Vec<(String, String)> {
    use HandshakePayload as P;
    match &msg.payload {
        P::ClientHello(ch) => {
            let mut out = vec![
                field("client_version", ch.client_version.to_string()),
                field("random", hex(&ch.random)),
                field("session_id", session_id(&ch.session_id)),
                field("cipher_suites", list(&ch.cipher_suites)),
            ];
            out.push(field(
                "server_name",
                ch.server_name()
                    .map_or("(none)".into(), |n| String::from_utf8_lossy(n).into_owned()),
            ));
            out.extend(ch.extensions.iter().filter_map(describe_extension));
            out
        }
        P::ServerHello(sh) => {
            let mut out = vec![
                field("server_version", sh.server_version.to_string()),
                field("random", hex(&sh.random)),
                field("session_id", session_id(&sh.session_id)),
                field("cipher_suite", sh.cipher_suite.to_string()),
            ];
            out.extend(sh.extensions.iter().filter_map(describe_extension));
            out
        }
        P::Certificate(chain) => describe_chain(chain.iter()),
        P::Certificate13(c) => describe_chain(c.entries.iter().map(|e| &e.cert)),
        P::EncryptedExtensions(exts) if exts.is_empty() => vec![field("extensions", "(none)")],
        P::EncryptedExtensions(exts) => exts.iter().filter_map(describe_extension).collect(),
        P::CertificateRequest13(cr) => cr
            .extensions
            .iter()
            .filter_map(describe_extension)
            .collect(),
        P::NewSessionTicket13(t) => vec![
            field("ticket_lifetime", format!("{} s", t.lifetime)),
            field(
                "ticket",
                format!("{} bytes (opaque to the client)", t.ticket.len()),
            ),
        ],
        P::KeyUpdate(request) => vec![field(
            "request_update",
            if *request == 1 {
                "update_requested"
            } else {
                "update_not_requested"
            },
        )],
        P::CertificateRequest(cr) => {
            vec![field("signature_algorithms", list(&cr.signature_schemes))]
        }
        P::ServerKeyExchange(body) | P::ClientKeyExchange(body) => {
            vec![field("length", format!("{} bytes", body.len()))]
        }
        P::Finished(vd) => vec![field("verify_data", hex(vd))],
        P::CertificateVerify(ds) => vec![field("algorithm", ds.scheme.to_string())],
        P::NewSessionTicket(t) => vec![
            field("ticket_lifetime_hint", format!("{} s", t.lifetime_hint)),
            field(
                "ticket",
                format!(
                    "{} bytes (sealed session state, opaque to the client)",
                    t.ticket.len()
                ),
            ),
        ],
        P::Unknown(_, body) => {
            vec![field("length", format!("{} bytes", body.len()))]
        }
        P::HelloRequest | P::ServerHelloDone => Vec::new(),
    }
}

fn describe_chain<'a>(
    chain: impl Iterator<Item = &'a rustls_pki_types::CertificateDer<'static>>,
) -> Vec<(String, String)> {
    let rows: Vec<_> = chain
        .enumerate()
        .flat_map(|(i, cert)| {
            let s = x509::Summary::parse(cert);
            vec![
                field(&format!("[{i}] subject"), s.subject),
                field(&format!("[{i}] issuer"), s.issuer),
                field(
                    &format!("[{i}] validity"),
                    format!("{} to {}", s.not_before, s.not_after),
                ),
            ]
        })
        .collect();
    if rows.is_empty() {
        vec![field("certificate_list", "(empty)")]
    } else {
        rows
    }
}

fn describe_extension(ext: &Extension) -> Option<(String, String)> {
    Some(match ext {
        Extension::ServerName(_) => return None,
        Extension::ServerNameAck => field("server_name", "(acknowledged, empty)"),
        Extension::SupportedGroups(g) => field("supported_groups", list(g)),
        Extension::EcPointFormats(_) => field("ec_point_formats", "uncompressed"),
        Extension::SignatureAlgorithms(s) => field("signature_algorithms", list(s)),
        Extension::Alpn(p) => field(
            "alpn",
            p.iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Extension::ExtendedMasterSecret => field("extended_master_secret", "yes"),
        Extension::RenegotiationInfo(d) => field(
            "renegotiation_info",
            if d.is_empty() {
                "(empty: initial handshake)".into()
            } else {
                hex(d)
            },
        ),
        Extension::SessionTicket(t) => field("session_ticket", format!("{} bytes", t.len())),
        Extension::SupportedVersions(v) => field("supported_versions", list(v)),
        Extension::SelectedVersion(v) => field("supported_versions", v.to_string()),
        Extension::KeyShares(shares) => field(
            "key_share",
            shares
                .iter()
                .map(|s| format!("{} ({} bytes)", s.group, s.key_exchange.len()))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Extension::KeyShare(s) => field(
            "key_share",
            format!("{} ({} bytes)", s.group, s.key_exchange.len()),
        ),
        Extension::KeyShareRetry(g) => field("key_share", format!("retry with {g}")),
        Extension::PskKeyExchangeModes(m) => field(
            "psk_key_exchange_modes",
            m.iter()
                .map(|m| {
                    if *m == 1 {
                        "psk_dhe_ke".to_string()
                    } else {
                        format!("{m}")
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Extension::Cookie(c) => field("cookie", format!("{} bytes", c.len())),
        Extension::PreSharedKey(p) => field(
            "pre_shared_key",
            format!(
                "{} ticket(s) offered, with binders proving we hold their keys",
                p.identities.len()
            ),
        ),
        Extension::PreSharedKeySelected(i) => {
            field("pre_shared_key", format!("the server takes ticket {i}"))
        }
        Extension::Unknown { typ, data } => {
            field(&typ.to_string(), format!("{} bytes", data.len()))
        }
    })
}
