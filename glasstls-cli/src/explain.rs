//! `--trace=explain`: after each message and step, what it is for, what its fields do, what an
//! eavesdropper can read at that point, and each decision with its reason, in the study note's
//! words. The sentences live in one catalogue per language (`catalogue/en.toml`,
//! `catalogue/ko.toml`), never in the code; `required_keys` lists every key the trace can ask
//! for, and a test checks that each language has them all (no silent fallback to English).

use glasstls::HandshakeType;
use glasstls::trace::{Decision, Event, Field, Message, RefusalReason, SecretName, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The language of explanations (and of the HTML page's first view).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Korean, in the note's terms.
    Ko,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../catalogue/en.toml"),
            Lang::Ko => include_str!("../catalogue/ko.toml"),
        }
    }

    /// This language's catalogue, parsed once.
    pub fn catalogue(self) -> &'static Catalogue {
        static EN: OnceLock<Catalogue> = OnceLock::new();
        static KO: OnceLock<Catalogue> = OnceLock::new();
        let cell = match self {
            Lang::En => &EN,
            Lang::Ko => &KO,
        };
        cell.get_or_init(|| Catalogue::parse(self.source()).unwrap_or_default())
    }
}

/// One language's sentences, by `section.key`.
#[derive(Default, Debug)]
pub struct Catalogue {
    texts: BTreeMap<String, String>,
}

impl Catalogue {
    /// A catalogue from TOML: tables of strings, flattened to `table.key`.
    pub fn parse(source: &str) -> Result<Self, String> {
        let table: toml::Table = source.parse().map_err(|e| format!("{e}"))?;
        let mut texts = BTreeMap::new();
        for (section, entries) in table {
            let toml::Value::Table(entries) = entries else {
                return Err(format!("`{section}` is not a table"));
            };
            for (key, text) in entries {
                let toml::Value::String(text) = text else {
                    return Err(format!("`{section}.{key}` is not a string"));
                };
                texts.insert(format!("{section}.{key}"), text);
            }
        }
        Ok(Self { texts })
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.texts.keys().map(String::as_str)
    }

    /// The sentence under `key`, with each `{name}` replaced by its value.
    pub fn fill(&self, key: &str, params: &[(&str, String)]) -> Option<String> {
        let mut text = self.texts.get(key)?.clone();
        for (name, value) in params {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        Some(text)
    }

    /// The sentence under `key`, or the key itself (which the catalogue test rules out).
    pub fn text(&self, key: &str) -> String {
        self.fill(key, &[]).unwrap_or_else(|| key.to_string())
    }
}

/// Every message type the trace explains.
pub const MESSAGES: &[HandshakeType] = &[
    HandshakeType::HelloRequest,
    HandshakeType::ClientHello,
    HandshakeType::ServerHello,
    HandshakeType::NewSessionTicket,
    HandshakeType::EndOfEarlyData,
    HandshakeType::EncryptedExtensions,
    HandshakeType::Certificate,
    HandshakeType::ServerKeyExchange,
    HandshakeType::CertificateRequest,
    HandshakeType::ServerHelloDone,
    HandshakeType::CertificateVerify,
    HandshakeType::ClientKeyExchange,
    HandshakeType::Finished,
    HandshakeType::KeyUpdate,
    HandshakeType::MessageHash,
];

/// The keys the explanations use besides one per message, decision, secret and refusal.
const OTHER_KEYS: &[&str] = &[
    "message.ServerHello_tls13",
    "message.ClientHello_inner",
    "field.random_client",
    "field.random_server",
    "field.session_id_empty",
    "field.session_id_offered",
    "field.session_id_new",
    "field.session_id_echo",
    "field.session_id_compat",
    "field.cipher_suites",
    "field.cipher_suite",
    "field.server_name",
    "field.key_share_client",
    "field.key_share_server",
    "field.supported_versions_client",
    "field.supported_versions_server",
    "field.alpn_client",
    "field.alpn_server",
    "field.pre_shared_key_client",
    "field.certificate_list",
    "wire.plaintext",
    "wire.plaintext_sni",
    "wire.plaintext_sni_ech",
    "wire.ech_inner",
    "wire.plaintext_certificate",
    "wire.encrypted",
    "event.change_cipher_spec",
    "event.change_cipher_spec_tls13",
    "event.alert",
    "event.alert_close_notify",
    "event.failed",
    "decision.client_certificate_requested_signed",
    "value.yes",
    "value.no",
    "value.client",
    "value.server",
    "value.session_id",
    "value.ticket",
    "ui.title",
    "ui.client",
    "ui.server",
    "ui.encrypted",
    "ui.plaintext",
    "ui.ech_inner",
    "ui.fields",
    "ui.bytes",
    "ui.explanation",
    "ui.key_schedule",
    "ui.hidden",
    "ui.flight",
    "ui.language",
    "ui.index_title",
    "ui.inspect_title",
    "ui.fingerprints",
    "ui.wire_order",
    "ui.negotiated",
    "ui.timing",
];

/// Every key the trace can ask a catalogue for.
pub fn required_keys() -> Vec<String> {
    let mut keys: Vec<String> = OTHER_KEYS.iter().map(|k| k.to_string()).collect();
    keys.extend(MESSAGES.iter().map(|m| format!("message.{m}")));
    keys.extend(Decision::KINDS.iter().map(|k| format!("decision.{k}")));
    keys.extend(SecretName::ALL.iter().map(|s| format!("secret.{}", s.id())));
    keys.extend(
        RefusalReason::ALL
            .iter()
            .map(|r| format!("refusal.{}", r.id())),
    );
    keys
}

/// Explains one connection's events in order; it remembers what it needs from earlier ones
/// (the version, the session ID offered).
pub struct Explainer {
    lang: Lang,
    tls13: bool,
    offered_session_id: Vec<u8>,
    resumption_by_id: bool,
    /// The public name of our Encrypted Client Hello offer, until the outer hello is shown.
    ech_public_name: Option<String>,
}

impl Explainer {
    pub fn new(lang: Lang) -> Self {
        Self {
            lang,
            tls13: false,
            offered_session_id: Vec::new(),
            resumption_by_id: false,
            ech_public_name: None,
        }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    fn cat(&self) -> &'static Catalogue {
        self.lang.catalogue()
    }

    /// The one to three sentences (a few more for a ClientHello's fields) that follow `event`.
    pub fn explain(&mut self, event: &Event) -> Vec<String> {
        match event {
            Event::Message(m) => self.message(m),
            Event::ChangeCipherSpec { .. } => {
                let key = match self.tls13 {
                    true => "event.change_cipher_spec_tls13",
                    false => "event.change_cipher_spec",
                };
                vec![self.cat().text(key)]
            }
            Event::Alert {
                level, description, ..
            } => {
                let text = match description.name() {
                    Some("close_notify") => self.cat().text("event.alert_close_notify"),
                    _ => self
                        .cat()
                        .fill(
                            "event.alert",
                            &[
                                ("description", description.to_string()),
                                ("level", level.to_string()),
                            ],
                        )
                        .unwrap_or_default(),
                };
                vec![text]
            }
            Event::Decision(d) => vec![self.decision(d)],
            Event::Secret(s) => vec![self.cat().text(&format!("secret.{}", s.name.id()))],
            Event::Failed(e) => vec![
                self.cat()
                    .fill("event.failed", &[("error", e.to_string())])
                    .unwrap_or_default(),
            ],
            _ => Vec::new(),
        }
    }

    fn decision(&mut self, d: &Decision) -> String {
        let kind = d.kind();
        if matches!(
            kind,
            "negotiated13"
                | "chose13"
                | "resuming13"
                | "server_resumes13"
                | "hello_retry_requested"
                | "hello_retry_request_sent"
        ) {
            self.tls13 = true;
        }
        let params = d.params();
        if let Decision::EchOffered { public_name, .. } = d {
            self.ech_public_name = Some(public_name.clone());
        }
        if kind == "resumption_offered" {
            self.resumption_by_id = params
                .iter()
                .any(|(k, v)| *k == "by" && matches!(v, Value::Text(t) if t == "session_id"));
        }
        let key = match (kind, params.is_empty()) {
            ("client_certificate_requested", false) => {
                "decision.client_certificate_requested_signed".to_string()
            }
            _ => format!("decision.{kind}"),
        };
        let filled: Vec<(&str, String)> = params
            .iter()
            .map(|(name, value)| (*name, self.param(name, value)))
            .collect();
        self.cat().fill(&key, &filled).unwrap_or(key)
    }

    /// A parameter as a reader sees it: a refusal reason or a resumption kind in the
    /// language, a flag as yes or no, a code point by its name.
    fn param(&self, name: &str, value: &Value) -> String {
        let cat = self.cat();
        match (name, value) {
            ("reason", Value::Text(id)) if cat.fill(&format!("refusal.{id}"), &[]).is_some() => {
                cat.text(&format!("refusal.{id}"))
            }
            ("by" | "peer", Value::Text(id)) => cat.text(&format!("value.{id}")),
            (_, Value::Flag(true)) => cat.text("value.yes"),
            (_, Value::Flag(false)) => cat.text("value.no"),
            (_, v) => plain(v),
        }
    }

    fn message(&mut self, m: &Message) -> Vec<String> {
        let cat = self.cat();
        let client = m.typ == HandshakeType::ClientHello;
        let is_13_hello =
            m.typ == HandshakeType::ServerHello && find(&m.fields, "supported_versions").is_some();
        if is_13_hello {
            self.tls13 = true;
        }
        let key = match (is_13_hello, m.ech_inner) {
            (_, true) => "message.ClientHello_inner".to_string(),
            (true, false) => "message.ServerHello_tls13".to_string(),
            (false, false) => format!("message.{}", m.typ),
        };
        let mut out = vec![cat.text(&key)];
        match m.typ {
            HandshakeType::ClientHello | HandshakeType::ServerHello => {
                out.extend(self.hello_fields(m, client));
            }
            HandshakeType::Certificate => {
                if let Some(Value::List(certs)) = find(&m.fields, "certificate_list") {
                    let subject = certs.first().and_then(|c| find_in(c, "subject"));
                    out.push(
                        cat.fill(
                            "field.certificate_list",
                            &[
                                ("count", certs.len().to_string()),
                                ("subject", subject.map(plain).unwrap_or_default()),
                            ],
                        )
                        .unwrap_or_default(),
                    );
                }
            }
            _ => {}
        }
        out.push(self.wire(m));
        out
    }

    fn hello_fields(&mut self, m: &Message, client: bool) -> Vec<String> {
        let cat = self.cat();
        let mut out = Vec::new();
        let fill = |key: &str, params: &[(&str, String)]| cat.fill(key, params).unwrap_or_default();
        out.push(cat.text(match client {
            true => "field.random_client",
            false => "field.random_server",
        }));
        if let Some(Value::Bytes(id)) = find(&m.fields, "session_id") {
            let len = [("len", id.len().to_string())];
            let text = match (client, id.is_empty()) {
                (true, true) => Some(fill("field.session_id_empty", &[])),
                (true, false) if self.resumption_by_id => {
                    Some(fill("field.session_id_offered", &len))
                }
                (true, false) => Some(fill("field.session_id_compat", &[])),
                (false, _) if self.tls13 => None,
                (false, false) if *id == self.offered_session_id => {
                    Some(fill("field.session_id_echo", &[]))
                }
                (false, false) => Some(fill("field.session_id_new", &len)),
                (false, true) => None,
            };
            if client {
                self.offered_session_id = id.clone();
            }
            out.extend(text);
        }
        if let Some(Value::List(suites)) = find(&m.fields, "cipher_suites") {
            out.push(fill(
                "field.cipher_suites",
                &[("count", suites.len().to_string())],
            ));
        }
        if let Some(suite) = find(&m.fields, "cipher_suite") {
            out.push(fill("field.cipher_suite", &[("suite", plain(suite))]));
        }
        if client && let Some(name) = sni(&m.fields) {
            out.push(fill("field.server_name", &[("name", name)]));
        }
        match (client, find(&m.fields, "key_share")) {
            (true, Some(Value::List(shares))) => {
                let groups: Vec<String> = shares
                    .iter()
                    .filter_map(|s| find_in(s, "group").map(plain))
                    .collect();
                out.push(fill(
                    "field.key_share_client",
                    &[("groups", groups.join(", "))],
                ));
            }
            (false, Some(share)) => {
                let group = find_in(share, "group").map(plain).unwrap_or_default();
                out.push(fill("field.key_share_server", &[("group", group)]));
            }
            _ => {}
        }
        match (client, find(&m.fields, "supported_versions")) {
            (true, Some(v)) => out.push(fill(
                "field.supported_versions_client",
                &[("versions", plain(v))],
            )),
            (false, Some(v)) => out.push(fill(
                "field.supported_versions_server",
                &[("version", plain(v))],
            )),
            _ => {}
        }
        if let Some(v) = find(&m.fields, "application_layer_protocol_negotiation") {
            let key = match client {
                true => "field.alpn_client",
                false => "field.alpn_server",
            };
            out.push(fill(key, &[("protocols", protocols(v))]));
        }
        if client && find(&m.fields, "pre_shared_key").is_some() {
            out.push(fill("field.pre_shared_key_client", &[]));
        }
        out
    }

    /// What someone on the path reads of this message.
    fn wire(&self, m: &Message) -> String {
        let cat = self.cat();
        if m.ech_inner {
            return cat.text("wire.ech_inner");
        }
        if m.record.encrypted {
            return cat
                .fill("wire.encrypted", &[("length", m.record.length.to_string())])
                .unwrap_or_default();
        }
        let sni_name = (m.typ == HandshakeType::ClientHello)
            .then(|| sni(&m.fields))
            .flatten();
        if let Some(name) = sni_name {
            let key = match &self.ech_public_name {
                Some(public) if *public == name => "wire.plaintext_sni_ech",
                _ => "wire.plaintext_sni",
            };
            return cat.fill(key, &[("name", name)]).unwrap_or_default();
        }
        if m.typ == HandshakeType::Certificate
            && let Some(Value::List(certs)) = find(&m.fields, "certificate_list")
            && let Some(subject) = certs.first().and_then(|c| find_in(c, "subject"))
        {
            return cat
                .fill("wire.plaintext_certificate", &[("subject", plain(subject))])
                .unwrap_or_default();
        }
        cat.text("wire.plaintext")
    }
}

/// The field named `id` among `fields`.
pub fn find<'a>(fields: &'a [Field], id: &str) -> Option<&'a Value> {
    fields.iter().find(|f| f.id.id() == id).map(|f| &f.value)
}

/// The field named `id` inside a structure.
fn find_in<'a>(value: &'a Value, id: &str) -> Option<&'a Value> {
    match value {
        Value::Struct(fields) => find(fields, id),
        _ => None,
    }
}

/// The host name in a ClientHello's server_name.
pub fn sni(fields: &[Field]) -> Option<String> {
    host_name(find(fields, "server_name")?)
}

/// The host name in a server_name extension's value (its list of entries).
pub fn host_name(server_name: &Value) -> Option<String> {
    match server_name {
        Value::List(entries) => entries
            .iter()
            .find_map(|e| find_in(e, "host_name"))
            .map(plain),
        _ => None,
    }
}

/// ALPN names: bytes shown as text.
fn protocols(value: &Value) -> String {
    match value {
        Value::List(items) => items
            .iter()
            .map(|i| match i {
                Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                other => plain(other),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => plain(other),
    }
}

/// A value as short text: a name by its name, a list joined, bytes by their length.
pub fn plain(value: &Value) -> String {
    match value {
        Value::Name(n) => n
            .name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("0x{:04x}", n.code())),
        Value::Text(t) => t.clone(),
        Value::Number(n) => n.to_string(),
        Value::Flag(b) => b.to_string(),
        Value::Bytes(b) => format!("{} bytes", b.len()),
        Value::List(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event kind, decision, secret and refusal has its sentence in every language, and
    /// no language has keys the trace never asks for (a typo would hide a missing text).
    #[test]
    fn every_language_has_every_text() {
        let required = required_keys();
        for lang in Lang::ALL {
            let catalogue = Catalogue::parse(lang.source()).expect("the catalogue parses");
            let missing: Vec<_> = required
                .iter()
                .filter(|k| catalogue.fill(k, &[]).is_none())
                .collect();
            assert!(missing.is_empty(), "{}: missing {missing:?}", lang.code());
            let unused: Vec<_> = catalogue
                .keys()
                .filter(|k| !required.iter().any(|r| r == k))
                .collect();
            assert!(unused.is_empty(), "{}: unused {unused:?}", lang.code());
        }
    }

    /// The Korean texts use the note's terms.
    #[test]
    fn korean_keeps_the_notes_terms() {
        let ko = Lang::Ko.catalogue();
        for (key, term) in [
            ("field.random_client", "클라이언트 난수"),
            ("field.random_client", "대칭키"),
            ("field.session_id_empty", "세션 ID"),
            ("secret.master_secret", "pre master secret"),
            ("decision.chain_verified", "인증서 무결성"),
            ("wire.plaintext_sni", "평문"),
        ] {
            assert!(ko.text(key).contains(term), "{key} lacks {term}");
        }
    }

    #[test]
    fn placeholders_are_filled() {
        let d = Decision::ResumptionRefused {
            version: glasstls::Version::Tls12,
            reason: RefusalReason::Expired,
        };
        let mut en = Explainer::new(Lang::En);
        let text = en.decision(&d);
        assert_eq!(
            text,
            "Resumption refused (TLSv1.2): the session has expired. A full handshake follows."
        );
        let mut ko = Explainer::new(Lang::Ko);
        assert!(ko.decision(&d).contains("세션이 만료되었습니다"));
    }
}
