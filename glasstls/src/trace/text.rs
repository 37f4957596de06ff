//! The text rendering of events: what `--trace` prints, one message or step per block.
//!
//! ```text
//! → sent     ClientHello
//!                client_version         TLSv1.2
//!                random                 5ba2e830…
//!   •        certificate chain verified: trusted root found, valid now, valid for example.com
//! ```

use super::{
    Decision, Direction, Event, Field, FieldId, Message, Name, RefusalReason, RenegotiationTrigger,
    SecretDerived, Value, hex,
};
use crate::crypto::KeyKind;
use crate::session::Resumption;
use crate::side::Side;
use crate::version::Version;
use crate::wire::{ExtensionType, HandshakeType};
use std::fmt;

type Rows = Vec<(String, String)>;

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Message(message) => {
                let how = match (message.ech_inner, message.record.encrypted) {
                    (true, _) => " (inner: sealed inside the outer hello's encrypted_client_hello)",
                    (false, true) => " (encrypted)",
                    (false, false) => "",
                };
                write!(f, "{} {}{how}", arrow(message.direction), message.typ)?;
                write_rows(f, &message_rows(message))
            }
            Self::ChangeCipherSpec { direction, .. } => {
                write!(f, "{} ChangeCipherSpec", arrow(*direction))
            }
            Self::Alert {
                direction,
                level,
                description,
                ..
            } => write!(f, "{} Alert ({level}, {description})", arrow(*direction)),
            Self::Decision(decision) => {
                write!(f, "  •        {decision}")?;
                write_rows(f, &decision_details(decision))
            }
            Self::Secret(SecretDerived { name, value: None }) => {
                write!(f, "  •        {} derived", name.label())
            }
            Self::Secret(SecretDerived {
                name,
                value: Some(v),
            }) => write!(f, "  •        {} derived: {}", name.label(), hex(v)),
            Self::Failed(e) => write!(f, "  •        connection failed: {e}"),
        }
    }
}

fn arrow(direction: Direction) -> &'static str {
    match direction {
        Direction::Sent => "→ sent    ",
        Direction::Received => "← received",
    }
}

fn write_rows(f: &mut fmt::Formatter<'_>, rows: &Rows) -> fmt::Result {
    for (name, value) in rows {
        write!(f, "\n               {name:<22} {value}")?;
    }
    Ok(())
}

fn row(name: &str, value: impl Into<String>) -> (String, String) {
    (name.to_string(), value.into())
}

/// A value in its plainest form: hex for bytes, names for code points, lists joined.
fn plain(value: &Value) -> String {
    match value {
        Value::Bytes(b) => hex(b),
        Value::Number(n) => n.to_string(),
        Value::Text(t) => t.clone(),
        Value::Name(n) => name(n),
        Value::List(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        Value::Struct(fields) => fields
            .iter()
            .map(|f| format!("{}={}", f.id.id(), plain(&f.value)))
            .collect::<Vec<_>>()
            .join(" "),
        Value::Flag(true) => "yes".into(),
        Value::Flag(false) => "no".into(),
        Value::Empty => "(empty)".into(),
    }
}

fn name(n: &Name) -> String {
    match (n.name(), n) {
        (Some(known), _) => known.to_string(),
        // psk_key_exchange_modes has always printed unknown modes as their number.
        (None, Name::PskMode(m)) => m.to_string(),
        (None, Name::Version(v)) => v.to_string(),
        (None, Name::CipherSuite(s)) => s.to_string(),
        (None, Name::Group(g)) => g.to_string(),
        (None, Name::SignatureScheme(s)) => s.to_string(),
        (None, Name::Extension(e)) => e.to_string(),
        (None, other) => format!("unknown({:#04x})", other.code()),
    }
}

fn len(value: &Value) -> usize {
    match value {
        Value::Bytes(b) => b.len(),
        Value::List(items) => items.len(),
        _ => 0,
    }
}

fn find(fields: &[Field], id: FieldId) -> Option<&Value> {
    fields.iter().find(|f| f.id == id).map(|f| &f.value)
}

fn session_id(value: &Value) -> String {
    match value {
        Value::Bytes(b) if b.is_empty() => "(empty)".into(),
        other => plain(other),
    }
}

/// The rows a message shows: the fields a learner looks for, in the RFC's names.
fn message_rows(message: &Message) -> Rows {
    let fields = &message.fields;
    if message.typ == HandshakeType::EncryptedExtensions && fields.is_empty() {
        return vec![row("extensions", "(none)")];
    }
    let is_ticket = message.typ == HandshakeType::NewSessionTicket;
    let tls12_ticket = find(fields, FieldId::TicketLifetimeHint).is_some();
    let mut rows = Rows::new();
    for field in fields {
        let value = &field.value;
        match field.id {
            FieldId::ClientVersion => rows.push(row("client_version", plain(value))),
            FieldId::ServerVersion => rows.push(row("server_version", plain(value))),
            FieldId::Random => rows.push(row("random", plain(value))),
            FieldId::SessionId => rows.push(row("session_id", session_id(value))),
            FieldId::CipherSuites => {
                rows.push(row("cipher_suites", plain(value)));
                // The name the client asks for, where a reader of the ClientHello looks.
                rows.push(row("server_name", requested_name(fields)));
            }
            FieldId::CipherSuite => rows.push(row("cipher_suite", plain(value))),
            FieldId::CertificateList => rows.extend(chain_rows(value)),
            FieldId::SupportedSignatureAlgorithms => {
                rows.push(row("signature_algorithms", plain(value)));
            }
            FieldId::TicketLifetimeHint => {
                rows.push(row("ticket_lifetime_hint", format!("{} s", plain(value))));
            }
            FieldId::TicketLifetime => {
                rows.push(row("ticket_lifetime", format!("{} s", plain(value))));
            }
            FieldId::Ticket if tls12_ticket => rows.push(row(
                "ticket",
                format!(
                    "{} bytes (sealed session state, opaque to the client)",
                    len(value)
                ),
            )),
            FieldId::Ticket => rows.push(row(
                "ticket",
                format!("{} bytes (opaque to the client)", len(value)),
            )),
            FieldId::RequestUpdate => rows.push(row("request_update", plain(value))),
            FieldId::KeyExchange | FieldId::Body => {
                rows.push(row("length", format!("{} bytes", len(value))));
            }
            FieldId::VerifyData => rows.push(row("verify_data", plain(value))),
            FieldId::Algorithm => rows.push(row("algorithm", plain(value))),
            FieldId::Extension(typ) if !is_ticket => rows.extend(extension_row(typ, value)),
            _ => {}
        }
    }
    rows
}

fn requested_name(fields: &[Field]) -> String {
    let Some(Value::List(entries)) = find(fields, FieldId::Extension(ExtensionType::ServerName))
    else {
        return "(none)".into();
    };
    entries
        .iter()
        .find_map(|entry| match entry {
            Value::Struct(parts)
                if find(parts, FieldId::NameType)
                    == Some(&Value::Name(Name::ServerNameType(0))) =>
            {
                match find(parts, FieldId::HostName) {
                    Some(Value::Text(name)) => Some(name.clone()),
                    _ => None,
                }
            }
            _ => None,
        })
        .unwrap_or_else(|| "(none)".into())
}

fn chain_rows(list: &Value) -> Rows {
    let Value::List(certs) = list else {
        return Rows::new();
    };
    if certs.is_empty() {
        return vec![row("certificate_list", "(empty)")];
    }
    let mut rows = Rows::new();
    for (i, cert) in certs.iter().enumerate() {
        let Value::Struct(parts) = cert else { continue };
        let text = |id| find(parts, id).map(plain).unwrap_or_default();
        rows.push(row(&format!("[{i}] subject"), text(FieldId::Subject)));
        rows.push(row(&format!("[{i}] issuer"), text(FieldId::Issuer)));
        rows.push(row(
            &format!("[{i}] validity"),
            format!(
                "{} to {}",
                text(FieldId::NotBefore),
                text(FieldId::NotAfter)
            ),
        ));
    }
    rows
}

fn share(value: &Value) -> Option<String> {
    let Value::Struct(parts) = value else {
        return None;
    };
    Some(format!(
        "{} ({} bytes)",
        find(parts, FieldId::Group).map(plain).unwrap_or_default(),
        find(parts, FieldId::KeyExchange)
            .map(len)
            .unwrap_or_default()
    ))
}

/// One extension's row; none for the ClientHello's server_name (shown with the suites).
fn extension_row(typ: ExtensionType, value: &Value) -> Option<(String, String)> {
    use ExtensionType as T;
    Some(match (typ, value) {
        (T::ServerName, Value::Empty) => row("server_name", "(acknowledged, empty)"),
        (T::ServerName, Value::List(_)) => return None,
        (T::SupportedGroups | T::SignatureAlgorithms, Value::List(_)) => {
            row(&FieldId::Extension(typ).id(), plain(value))
        }
        (T::EcPointFormats, Value::List(_)) => row("ec_point_formats", "uncompressed"),
        (T::Alpn, Value::List(protocols)) => row(
            "alpn",
            protocols
                .iter()
                .map(|p| match p {
                    Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                    other => plain(other),
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (T::ExtendedMasterSecret, Value::Empty) => row("extended_master_secret", "yes"),
        (T::RenegotiationInfo, Value::Bytes(b)) if b.is_empty() => {
            row("renegotiation_info", "(empty: initial handshake)")
        }
        (T::RenegotiationInfo, Value::Bytes(b)) => row("renegotiation_info", hex(b)),
        (T::SupportedVersions, Value::List(_) | Value::Name(_)) => {
            row("supported_versions", plain(value))
        }
        (T::KeyShare, Value::List(shares)) => row(
            "key_share",
            shares
                .iter()
                .filter_map(share)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (T::KeyShare, Value::Struct(_)) => row("key_share", share(value).unwrap_or_default()),
        (T::KeyShare, Value::Name(group)) => {
            row("key_share", format!("retry with {}", name(group)))
        }
        (T::PskKeyExchangeModes, Value::List(_)) => row("psk_key_exchange_modes", plain(value)),
        (T::PreSharedKey, Value::Struct(parts)) => row(
            "pre_shared_key",
            format!(
                "{} ticket(s) offered, with binders proving we hold their keys",
                find(parts, FieldId::Identities)
                    .map(len)
                    .unwrap_or_default()
            ),
        ),
        (T::PreSharedKey, Value::Number(i)) => {
            row("pre_shared_key", format!("the server takes ticket {i}"))
        }
        (T::EncryptedClientHello, Value::Struct(parts)) => {
            row("encrypted_client_hello", ech(parts))
        }
        (_, other) => row(&typ.to_string(), format!("{} bytes", len(other))),
    })
}

/// RFC 9849: an encrypted_client_hello in one line.
fn ech(parts: &[Field]) -> String {
    let text = |id| find(parts, id).map(plain).unwrap_or_default();
    if let Some(Value::List(configs)) = find(parts, FieldId::RetryConfigs) {
        let listed: Vec<String> = configs
            .iter()
            .filter_map(|c| match c {
                Value::Struct(c) => Some(format!(
                    "config {} for {}",
                    find(c, FieldId::ConfigId).map(plain).unwrap_or_default(),
                    find(c, FieldId::PublicName).map(plain).unwrap_or_default()
                )),
                _ => None,
            })
            .collect();
        return format!("retry_configs: {}", listed.join(", "));
    }
    if let Some(confirmation) = find(parts, FieldId::Confirmation) {
        return format!("accepted, confirmation {}", plain(confirmation));
    }
    match text(FieldId::EchType).as_str() {
        "inner" => "inner (this is the hello the outer one carries)".into(),
        _ => format!(
            "outer: config {}, {}, enc {} bytes, payload {} bytes (the sealed inner hello)",
            text(FieldId::ConfigId),
            text(FieldId::HpkeSuite),
            find(parts, FieldId::Enc).map(len).unwrap_or_default(),
            find(parts, FieldId::Payload).map(len).unwrap_or_default()
        ),
    }
}

/// The detail rows under a decision, where it has values worth showing.
fn decision_details(decision: &Decision) -> Rows {
    match decision {
        Decision::ServerKeyExchangeVerified {
            group,
            server_public,
            scheme,
        } => vec![
            row("group", group.to_string()),
            row("server public", hex(server_public)),
            row(
                "signature",
                format!("{scheme}, verified with the certificate's key"),
            ),
        ],
        Decision::ServerKeyShareSigned {
            group,
            server_public,
            scheme,
        } => vec![
            row("group", group.to_string()),
            row("server public", hex(server_public)),
            row("signature", scheme.to_string()),
        ],
        Decision::ClientKeyShareSent { client_public }
        | Decision::ClientKeyShareReceived { client_public } => {
            vec![row("client public", hex(client_public))]
        }
        Decision::Negotiated13 {
            server_share_len, ..
        } => vec![row("server share", format!("{server_share_len} bytes"))],
        _ => Rows::new(),
    }
}

fn certificate_kind(key: KeyKind, version: Version) -> &'static str {
    match (key, version) {
        (KeyKind::Rsa, _) => "RSA",
        (KeyKind::Ecdsa | KeyKind::Ed25519, Version::Tls12) => "ECDSA",
        (KeyKind::Ecdsa | KeyKind::Ed25519, Version::Tls13) => "ECDSA/EdDSA",
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fixed_text() {
            Some(text) => f.write_str(text),
            None => self.fmt_client(f),
        }
    }
}

impl Decision {
    /// The sentence of a decision that carries no values worth printing in it.
    fn fixed_text(&self) -> Option<&'static str> {
        Some(match self {
            Self::ServerResumes13 => {
                "the server resumes our TLS 1.3 session (psk_dhe_ke): no Certificate or \
                 CertificateVerify; the PSK and a fresh key exchange make the keys"
            }
            Self::ServerKeyExchangeVerified { .. } => {
                "ECDHE parameters received and their signature verified"
            }
            Self::ClientCertificateRequested { scheme: None } => {
                "the server asks for a client certificate; we have none it accepts and send an \
                 empty Certificate"
            }
            Self::ClientKeyShareSent { .. } => {
                "ECDHE: our key share generated; pre-master secret = shared secret"
            }
            Self::HandshakeEncrypted => {
                "from here on the handshake is encrypted under the handshake traffic keys"
            }
            Self::FinishedVerified { peer, version } => match (peer, version) {
                (Side::Server, Version::Tls12) => {
                    "server Finished verified: the handshake was not tampered with; application \
                     data may flow"
                }
                (Side::Server, Version::Tls13) => {
                    "server Finished verified: the handshake was not tampered with"
                }
                (Side::Client, Version::Tls12) => "client Finished verified",
                (Side::Client, Version::Tls13) => {
                    "client Finished verified; application traffic keys installed"
                }
            },
            Self::ApplicationKeysInstalled => {
                "application traffic keys installed; application data may flow"
            }
            Self::SessionSaved {
                version: Version::Tls13,
                ..
            } => "NewSessionTicket saved: a later connection can resume with it",
            Self::KeyUpdateSent => "KeyUpdate sent: our application traffic keys are updated",
            Self::KeyUpdateReceived => "KeyUpdate received: the peer's traffic keys are updated",
            Self::ServerKeyShareSigned { .. } => "ECDHE: ephemeral key share generated and signed",
            Self::RsaKeyExchange => {
                "RSA key exchange: no ServerKeyExchange; the client will encrypt to the \
                 certificate's key"
            }
            Self::ClientKeyShareReceived { .. } => {
                "ECDHE: client key share received; shared secret computed"
            }
            Self::PreMasterSecretDecrypted => {
                "RSA key exchange: pre-master secret decrypted (any failure silently replaced, \
                 RFC 5246 §7.4.7.1)"
            }
            Self::SessionStored => "session stored under its ID for later resumption",
            Self::EarlyDataSkipped => {
                "the client sent early data (0-RTT), which we do not accept: its early records \
                 are skipped, and it sends the data again after the handshake"
            }
            Self::RenegotiationRefused(RenegotiationTrigger::HelloRequest) => {
                "renegotiation refused: HelloRequest answered with no_renegotiation"
            }
            Self::RenegotiationRefused(RenegotiationTrigger::ClientHello) => {
                "renegotiation refused: ClientHello answered with no_renegotiation"
            }
            _ => return None,
        })
    }

    /// The client's decisions that name what they were about.
    fn fmt_client(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ResumptionOffered {
                version: Version::Tls12,
                server_name,
                by,
            } => write!(
                f,
                "offering to resume the TLS 1.2 session saved for {server_name} (by {by})"
            ),
            Self::ResumptionOffered {
                version: Version::Tls13,
                server_name,
                ..
            } => write!(
                f,
                "offering to resume the TLS 1.3 session saved for {server_name} (ticket, PSK with \
                 binder)"
            ),
            Self::Negotiated12 {
                suite,
                extended_master_secret,
            } => write!(
                f,
                "negotiated TLSv1.2 with {suite}{}",
                if *extended_master_secret {
                    ", extended master secret (RFC 7627)"
                } else {
                    ", without extended master secret"
                }
            ),
            Self::Negotiated13 { suite, group, .. } => {
                write!(
                    f,
                    "negotiated TLSv1.3 with {suite}; key exchange with {group}"
                )
            }
            Self::ServerResumes12 { by } => write!(
                f,
                "the server resumes the session (by {by}): no Certificate, ServerKeyExchange, \
                 ServerHelloDone or ClientKeyExchange; the master secret is the saved one, the \
                 keys are new because both randoms are"
            ),
            Self::HelloRetryRequested { group, .. } => write!(
                f,
                "HelloRetryRequest: the server wants {}{}; sending a second ClientHello",
                group.map_or("a cookie echoed".to_string(), |g| format!(
                    "a key share for {g}"
                )),
                if group.is_some() {
                    " (we guessed another group first)"
                } else {
                    ""
                }
            ),
            Self::SessionSaved {
                server_name, by, ..
            } => write!(
                f,
                "session saved for {server_name}: a later connection can resume it by {}",
                match by {
                    Resumption::SessionId => "session ID",
                    Resumption::Ticket => "ticket",
                }
            ),
            other => other.fmt_verification(f),
        }
    }

    /// The client's checks of the server, and what it sent in return.
    fn fmt_verification(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ChainVerified { server_name } => write!(
                f,
                "certificate chain verified: trusted root found, valid now, valid for \
                 {server_name}"
            ),
            Self::CachedSessionExpired { server_name } => write!(
                f,
                "the session saved for {server_name} is past its lifetime: not offered, forgotten"
            ),
            Self::ChainAcceptedByVerifier { server_name } => write!(
                f,
                "certificate chain for {server_name} accepted by the application's own verifier \
                 (not checked against the trusted roots)"
            ),
            Self::ChainRejected(e) => write!(f, "certificate chain rejected: {e}"),
            Self::ClientCertificateRequested {
                scheme: Some(scheme),
            } => write!(
                f,
                "the server asks for a client certificate: we send ours and sign the handshake \
                 with {scheme} (CertificateVerify)"
            ),
            Self::ClientCertificateAsked { required: true } => f.write_str(
                "we ask the client for a certificate (CertificateRequest); one is required",
            ),
            Self::ClientCertificateAsked { required: false } => f.write_str(
                "we ask the client for a certificate (CertificateRequest); it may send none",
            ),
            Self::NoClientCertificate { required: true } => {
                f.write_str("the client sent no certificate, and one is required: refused")
            }
            Self::NoClientCertificate { required: false } => {
                f.write_str("the client sent no certificate: it stays anonymous (one is optional)")
            }
            Self::ClientChainVerified { subject } => write!(
                f,
                "client certificate chain verified: {subject}, valid now, issued under a \
                 trusted root for client authentication"
            ),
            Self::ClientChainRejected(e) => write!(f, "client certificate chain rejected: {e}"),
            Self::EchAccepted {
                public_name,
                server_name,
            } => write!(
                f,
                "Encrypted Client Hello accepted: the wire showed {public_name}; the inner \
                 ClientHello asks for {server_name}, and the handshake runs on it"
            ),
            Self::EchRejected { public_name } => write!(
                f,
                "Encrypted Client Hello not opened (another key, or GREASE): handshake for \
                 {public_name}, retry_configs sent"
            ),
            Self::EchOffered {
                public_name,
                server_name,
                config_id,
                encoded_len,
            } => write!(
                f,
                "Encrypted Client Hello offered: the wire shows {public_name}; {} travels in the \
                 inner ClientHello, sealed to config {config_id} ({encoded_len} bytes with padding)",
                if server_name.is_empty() {
                    "no name"
                } else {
                    server_name
                }
            ),
            Self::EchGreaseSent => f.write_str(
                "GREASE Encrypted Client Hello sent: no config for this server, so random bytes \
                 shaped like an offer keep the hello from standing out",
            ),
            Self::EchNotAccepted { public_name } => write!(
                f,
                "the server did not accept our Encrypted Client Hello: the handshake goes on with \
                 the outer hello, for {public_name}, only to authenticate its retry configs, and \
                 ends with ech_required"
            ),
            Self::ClientCertificateVerifyVerified { scheme } => write!(
                f,
                "CertificateVerify: the client proved it holds its certificate's key ({scheme})"
            ),
            Self::CertificateVerifyVerified { scheme } => write!(
                f,
                "CertificateVerify: the server proved it holds the certificate's key ({scheme})"
            ),
            Self::PreMasterSecretEncrypted { ciphertext_len } => write!(
                f,
                "RSA key exchange: 48-byte pre-master secret encrypted with the server's public \
                 key ({ciphertext_len} bytes; no forward secrecy)"
            ),
            other => other.fmt_server(f),
        }
    }

    /// The server's decisions that name what they were about.
    fn fmt_server(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ResumptionRefused { version, reason } => write!(
                f,
                "resumption refused, full handshake: {}",
                refusal(*version, *reason)
            ),
            Self::Resuming12 { by } => write!(
                f,
                "resuming the session by {by}: Certificate, ServerKeyExchange, ServerHelloDone \
                 and ClientKeyExchange are skipped, because both sides still hold the master \
                 secret of the earlier full handshake; only fresh randoms and new keys"
            ),
            Self::Chose12 {
                suite,
                key,
                by_name,
                extended_master_secret,
            } => write!(
                f,
                "chose {suite} for this client ({} certificate{}){}",
                certificate_kind(*key, Version::Tls12),
                if *by_name {
                    ", chosen by the requested name"
                } else {
                    ""
                },
                if *extended_master_secret {
                    ", extended master secret"
                } else {
                    ""
                }
            ),
            Self::Chose13 {
                suite,
                group,
                key,
                by_name,
                scheme,
            } => write!(
                f,
                "chose TLSv1.3 with {suite} and {group}, {} certificate{} signed with {scheme}",
                certificate_kind(*key, Version::Tls13),
                if *by_name {
                    " chosen by the requested name"
                } else {
                    ""
                }
            ),
            Self::Resuming13 { suite, group } => write!(
                f,
                "resuming with the client's ticket (psk_dhe_ke): TLSv1.3 with {suite} and \
                 {group}; Certificate and CertificateVerify are skipped, the PSK proves who we are"
            ),
            Self::HelloRetryRequestSent { group } => write!(
                f,
                "HelloRetryRequest: the client sent no key share we accept; asking for {group}"
            ),
            // Every other decision has a fixed text or a client sentence.
            other => f.write_str(other.fixed_text().unwrap_or_else(|| other.kind())),
        }
    }
}

fn refusal(version: Version, reason: RefusalReason) -> &'static str {
    use RefusalReason as R;
    match (reason, version) {
        (R::TicketUnopened, _) => {
            "the ticket does not open with any current key (unknown, tampered or retired)"
        }
        (R::SessionIdUnknown, _) => "the session ID is not in our session store",
        (R::Expired, Version::Tls12) => "the session has expired",
        (R::Expired, Version::Tls13) => "the ticket has expired",
        (R::OtherVersion, Version::Tls12) => "the session was TLSv1.3",
        (R::OtherVersion, Version::Tls13) => "the ticket is for another version",
        (R::OtherServerName, Version::Tls12) => "the session belongs to another server name",
        (R::OtherServerName, Version::Tls13) => "the ticket belongs to another server name",
        (R::EmsDiffers, _) => "the extended master secret state differs from the session's",
        (R::SuiteUnavailable, Version::Tls12) => {
            "the session's cipher suite is not offered or no longer enabled"
        }
        (R::SuiteUnavailable, Version::Tls13) => "the ticket's cipher suite is no longer enabled",
        (R::SuiteNotRetrySuite, _) => {
            "the ticket's cipher suite is not the one our HelloRetryRequest chose"
        }
        (R::SuiteNotOffered, _) => "the client no longer offers the ticket's cipher suite",
        (R::ClientNotAuthenticated, _) => {
            "a client certificate is required and the session was made without one"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::trace::{RecordInfo, SecretDerived, SecretName};
    use crate::verify::CertificateError;
    use crate::wire::{
        AlertDescription, AlertLevel, CipherSuite, ClientHello, ContentType, Extension,
        HandshakeMessage, HandshakePayload, NamedGroup, ProtocolVersion, ServerNameEntry,
        SignatureScheme,
    };

    fn record() -> RecordInfo {
        RecordInfo {
            content_type: ContentType::Handshake,
            epoch: 0,
            encrypted: false,
            length: 0,
        }
    }

    /// Every decision has its own sentence (none falls back to its kind), and the sentences
    /// read as the trace has always printed them.
    #[test]
    fn every_decision_reads_as_a_sentence() {
        use CipherSuite as S;
        use NamedGroup as G;
        let rsa = SignatureScheme::rsa_pss_rsae_sha256;
        let cases: Vec<(Decision, &str)> = vec![
            (
                Decision::ResumptionOffered {
                    version: Version::Tls12,
                    server_name: "a.test".into(),
                    by: Resumption::SessionId,
                },
                "offering to resume the TLS 1.2 session saved for a.test (by session id)",
            ),
            (
                Decision::ResumptionOffered {
                    version: Version::Tls13,
                    server_name: "a.test".into(),
                    by: Resumption::Ticket,
                },
                "offering to resume the TLS 1.3 session saved for a.test (ticket, PSK with binder)",
            ),
            (
                Decision::Negotiated12 {
                    suite: S::TLS_RSA_WITH_AES_128_GCM_SHA256,
                    extended_master_secret: true,
                },
                "negotiated TLSv1.2 with TLS_RSA_WITH_AES_128_GCM_SHA256, extended master secret (RFC 7627)",
            ),
            (
                Decision::Negotiated13 {
                    suite: S::TLS_AES_128_GCM_SHA256,
                    group: G::X25519,
                    server_share_len: 32,
                },
                "negotiated TLSv1.3 with TLS_AES_128_GCM_SHA256; key exchange with x25519",
            ),
            (
                Decision::ServerResumes12 {
                    by: Resumption::Ticket,
                },
                "the server resumes the session (by ticket): no Certificate, ServerKeyExchange, ServerHelloDone or ClientKeyExchange; the master secret is the saved one, the keys are new because both randoms are",
            ),
            (
                Decision::ServerResumes13,
                "the server resumes our TLS 1.3 session (psk_dhe_ke): no Certificate or CertificateVerify; the PSK and a fresh key exchange make the keys",
            ),
            (
                Decision::ChainVerified {
                    server_name: "a.test".into(),
                },
                "certificate chain verified: trusted root found, valid now, valid for a.test",
            ),
            (
                Decision::ChainAcceptedByVerifier {
                    server_name: "a.test".into(),
                },
                "certificate chain for a.test accepted by the application's own verifier (not checked against the trusted roots)",
            ),
            (
                Decision::ChainRejected(CertificateError::BadSignature),
                "certificate chain rejected: bad signature: a signature in the certificate chain does not verify",
            ),
            (
                Decision::ServerKeyExchangeVerified {
                    group: G::X25519,
                    server_public: vec![1],
                    scheme: rsa,
                },
                "ECDHE parameters received and their signature verified",
            ),
            (
                Decision::CertificateVerifyVerified { scheme: rsa },
                "CertificateVerify: the server proved it holds the certificate's key (rsa_pss_rsae_sha256)",
            ),
            (
                Decision::ClientCertificateRequested { scheme: None },
                "the server asks for a client certificate; we have none it accepts and send an empty Certificate",
            ),
            (
                Decision::ClientCertificateRequested { scheme: Some(rsa) },
                "the server asks for a client certificate: we send ours and sign the handshake with rsa_pss_rsae_sha256 (CertificateVerify)",
            ),
            (
                Decision::NoClientCertificate { required: true },
                "the client sent no certificate, and one is required: refused",
            ),
            (
                Decision::ClientKeyShareSent {
                    client_public: vec![1],
                },
                "ECDHE: our key share generated; pre-master secret = shared secret",
            ),
            (
                Decision::PreMasterSecretEncrypted {
                    ciphertext_len: 256,
                },
                "RSA key exchange: 48-byte pre-master secret encrypted with the server's public key (256 bytes; no forward secrecy)",
            ),
            (
                Decision::HelloRetryRequested {
                    group: Some(G::secp384r1),
                    cookie: false,
                },
                "HelloRetryRequest: the server wants a key share for secp384r1 (we guessed another group first); sending a second ClientHello",
            ),
            (
                Decision::HelloRetryRequested {
                    group: None,
                    cookie: true,
                },
                "HelloRetryRequest: the server wants a cookie echoed; sending a second ClientHello",
            ),
            (
                Decision::HandshakeEncrypted,
                "from here on the handshake is encrypted under the handshake traffic keys",
            ),
            (
                Decision::FinishedVerified {
                    peer: Side::Server,
                    version: Version::Tls12,
                },
                "server Finished verified: the handshake was not tampered with; application data may flow",
            ),
            (
                Decision::FinishedVerified {
                    peer: Side::Client,
                    version: Version::Tls13,
                },
                "client Finished verified; application traffic keys installed",
            ),
            (
                Decision::ApplicationKeysInstalled,
                "application traffic keys installed; application data may flow",
            ),
            (
                Decision::SessionSaved {
                    version: Version::Tls12,
                    server_name: "a.test".into(),
                    by: Resumption::SessionId,
                },
                "session saved for a.test: a later connection can resume it by session ID",
            ),
            (
                Decision::SessionSaved {
                    version: Version::Tls13,
                    server_name: "a.test".into(),
                    by: Resumption::Ticket,
                },
                "NewSessionTicket saved: a later connection can resume with it",
            ),
            (
                Decision::KeyUpdateSent,
                "KeyUpdate sent: our application traffic keys are updated",
            ),
            (
                Decision::KeyUpdateReceived,
                "KeyUpdate received: the peer's traffic keys are updated",
            ),
            (
                Decision::ResumptionRefused {
                    version: Version::Tls12,
                    reason: RefusalReason::OtherVersion,
                },
                "resumption refused, full handshake: the session was TLSv1.3",
            ),
            (
                Decision::ResumptionRefused {
                    version: Version::Tls13,
                    reason: RefusalReason::Expired,
                },
                "resumption refused, full handshake: the ticket has expired",
            ),
            (
                Decision::Resuming12 {
                    by: Resumption::SessionId,
                },
                "resuming the session by session id: Certificate, ServerKeyExchange, ServerHelloDone and ClientKeyExchange are skipped, because both sides still hold the master secret of the earlier full handshake; only fresh randoms and new keys",
            ),
            (
                Decision::Chose12 {
                    suite: S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                    key: KeyKind::Ed25519,
                    by_name: true,
                    extended_master_secret: true,
                },
                "chose TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 for this client (ECDSA certificate, chosen by the requested name), extended master secret",
            ),
            (
                Decision::ServerKeyShareSigned {
                    group: G::X25519,
                    server_public: vec![1],
                    scheme: rsa,
                },
                "ECDHE: ephemeral key share generated and signed",
            ),
            (
                Decision::RsaKeyExchange,
                "RSA key exchange: no ServerKeyExchange; the client will encrypt to the certificate's key",
            ),
            (
                Decision::ClientKeyShareReceived {
                    client_public: vec![1],
                },
                "ECDHE: client key share received; shared secret computed",
            ),
            (
                Decision::PreMasterSecretDecrypted,
                "RSA key exchange: pre-master secret decrypted (any failure silently replaced, RFC 5246 §7.4.7.1)",
            ),
            (
                Decision::SessionStored,
                "session stored under its ID for later resumption",
            ),
            (
                Decision::Chose13 {
                    suite: S::TLS_AES_256_GCM_SHA384,
                    group: G::secp256r1,
                    key: KeyKind::Ecdsa,
                    by_name: false,
                    scheme: SignatureScheme::ecdsa_secp256r1_sha256,
                },
                "chose TLSv1.3 with TLS_AES_256_GCM_SHA384 and secp256r1, ECDSA/EdDSA certificate signed with ecdsa_secp256r1_sha256",
            ),
            (
                Decision::Resuming13 {
                    suite: S::TLS_AES_128_GCM_SHA256,
                    group: G::X25519MLKEM768,
                },
                "resuming with the client's ticket (psk_dhe_ke): TLSv1.3 with TLS_AES_128_GCM_SHA256 and X25519MLKEM768; Certificate and CertificateVerify are skipped, the PSK proves who we are",
            ),
            (
                Decision::HelloRetryRequestSent {
                    group: G::secp256r1,
                },
                "HelloRetryRequest: the client sent no key share we accept; asking for secp256r1",
            ),
            (
                Decision::RenegotiationRefused(RenegotiationTrigger::ClientHello),
                "renegotiation refused: ClientHello answered with no_renegotiation",
            ),
            (
                Decision::CachedSessionExpired {
                    server_name: "a.test".into(),
                },
                "the session saved for a.test is past its lifetime: not offered, forgotten",
            ),
            (
                Decision::ClientCertificateAsked { required: false },
                "we ask the client for a certificate (CertificateRequest); it may send none",
            ),
            (
                Decision::ClientChainVerified {
                    subject: "CN=alice".into(),
                },
                "client certificate chain verified: CN=alice, valid now, issued under a trusted root for client authentication",
            ),
            (
                Decision::ClientChainRejected(CertificateError::BadSignature),
                "client certificate chain rejected: bad signature: a signature in the certificate chain does not verify",
            ),
            (
                Decision::ClientCertificateVerifyVerified { scheme: rsa },
                "CertificateVerify: the client proved it holds its certificate's key (rsa_pss_rsae_sha256)",
            ),
            (
                Decision::EchAccepted {
                    public_name: "public.example".into(),
                    server_name: "a.test".into(),
                },
                "Encrypted Client Hello accepted: the wire showed public.example; the inner ClientHello asks for a.test, and the handshake runs on it",
            ),
            (
                Decision::EchRejected {
                    public_name: "public.example".into(),
                },
                "Encrypted Client Hello not opened (another key, or GREASE): handshake for public.example, retry_configs sent",
            ),
            (
                Decision::EchOffered {
                    public_name: "public.example".into(),
                    server_name: "a.test".into(),
                    config_id: 7,
                    encoded_len: 224,
                },
                "Encrypted Client Hello offered: the wire shows public.example; a.test travels in the inner ClientHello, sealed to config 7 (224 bytes with padding)",
            ),
            (
                Decision::EchGreaseSent,
                "GREASE Encrypted Client Hello sent: no config for this server, so random bytes shaped like an offer keep the hello from standing out",
            ),
            (
                Decision::EchNotAccepted {
                    public_name: "public.example".into(),
                },
                "the server did not accept our Encrypted Client Hello: the handshake goes on with the outer hello, for public.example, only to authenticate its retry configs, and ends with ech_required",
            ),
            (
                Decision::EarlyDataSkipped,
                "the client sent early data (0-RTT), which we do not accept: its early records are skipped, and it sends the data again after the handshake",
            ),
        ];
        // `Decision::kind` names every variant (an exhaustive match): a new decision needs a
        // case here, with its sentence.
        let kinds: std::collections::BTreeSet<_> = cases.iter().map(|(d, _)| d.kind()).collect();
        assert_eq!(kinds.len(), 44, "a decision without a case: {kinds:?}");
        let listed: std::collections::BTreeSet<_> = Decision::KINDS.iter().copied().collect();
        assert_eq!(kinds, listed, "Decision::KINDS names every kind, once");
        assert_eq!(Decision::KINDS.len(), listed.len());
        for (decision, text) in cases {
            assert_eq!(decision.to_string(), text, "{}", decision.kind());
        }
    }

    #[test]
    fn a_client_hello_shows_the_fields_a_learner_looks_for() {
        let hello = HandshakeMessage::new(HandshakePayload::ClientHello(ClientHello {
            client_version: ProtocolVersion::TLSv1_2,
            random: [0xab; 32],
            session_id: Vec::new(),
            cipher_suites: vec![CipherSuite::TLS_AES_128_GCM_SHA256, CipherSuite(0x0a0a)],
            compression_methods: vec![0],
            extensions: vec![
                Extension::ServerName(vec![ServerNameEntry {
                    name_type: 0,
                    name: b"a.test".to_vec(),
                }]),
                Extension::SupportedGroups(vec![NamedGroup::X25519]),
                Extension::Alpn(vec![b"h2".to_vec()]),
                Extension::Unknown {
                    typ: crate::wire::ExtensionType(0x1a1a),
                    data: vec![0; 3],
                },
            ],
        }));
        let event = Event::Message(Message {
            direction: Direction::Sent,
            typ: hello.typ(),
            record: record(),
            fields: crate::trace::message_fields(&hello),
            raw: Vec::new(),
            ech_inner: false,
        });
        let random = "ab".repeat(32);
        assert_eq!(
            event.to_string(),
            format!(
                "→ sent     ClientHello
               client_version         TLSv1.2
               random                 {random}
               session_id             (empty)
               cipher_suites          TLS_AES_128_GCM_SHA256, unknown(0x0a0a)
               server_name            a.test
               supported_groups       x25519
               alpn                   h2
               unknown(0x1a1a)        3 bytes"
            )
        );
    }

    #[test]
    fn alerts_secrets_and_failures_read_as_before() {
        let alert = Event::Alert {
            direction: Direction::Received,
            level: AlertLevel::Fatal,
            description: AlertDescription::HandshakeFailure,
            record: record(),
        };
        assert_eq!(
            alert.to_string(),
            "← received Alert (fatal, handshake_failure)"
        );
        let hidden = Event::Secret(SecretDerived {
            name: SecretName::ExtendedMasterSecret,
            value: None,
        });
        assert_eq!(
            hidden.to_string(),
            "  •        master secret (extended) derived"
        );
        let shown = Event::Secret(SecretDerived {
            name: SecretName::ClientWriteIv,
            value: Some(vec![1, 2]),
        });
        assert_eq!(
            shown.to_string(),
            "  •        client_write_IV derived: 0102"
        );
        let failed = Event::Failed(Error::AlertReceived(AlertDescription::DecodeError));
        assert_eq!(
            failed.to_string(),
            "  •        connection failed: the peer sent a fatal alert: decode_error"
        );
    }
}
