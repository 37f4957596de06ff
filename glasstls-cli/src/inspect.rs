//! `serve --inspect`: what a visitor's ClientHello really said, in wire order, with its JA3 and
//! JA4 fingerprints, what was negotiated and why, and how long the handshake took. Built from
//! the server's own trace (the ClientHello as the core decoded it), never from a second parser.
//!
//! JA4 follows FoxIO's specification (technical_details/JA4.md in FoxIO-LLC/ja4): GREASE values
//! ignored everywhere; `t` + version (highest in supported_versions, else legacy_version) + `d`
//! or `i` for SNI + two-digit cipher and extension counts + the first and last characters of
//! the first ALPN value; then the first 12 hex digits of SHA-256 over the sorted ciphers, and
//! over the sorted extensions without SNI and ALPN, `_`, the signature algorithms in wire order.
//! JA3 is the MD5 of `version,ciphers,extensions,groups,point_formats` in decimal, `-`-joined,
//! GREASE removed.

use glasstls::trace::{Event, FieldId, Message, Value};
use glasstls::{ExtensionType, HandshakeType, is_grease};
use md5::{Digest, Md5};
use serde_json::{Value as Json, json};

/// The parts of a ClientHello the fingerprints and the page use, in wire order, GREASE kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hello {
    pub legacy_version: u16,
    pub ciphers: Vec<u16>,
    pub extensions: Vec<u16>,
    pub groups: Vec<u16>,
    pub point_formats: Vec<u16>,
    pub signature_algorithms: Vec<u16>,
    pub supported_versions: Vec<u16>,
    pub alpn: Vec<Vec<u8>>,
    pub sni: Option<String>,
    /// Key shares: group and length.
    pub key_shares: Vec<(u16, usize)>,
}

fn codes(value: &Value) -> Vec<u16> {
    match value {
        Value::List(items) => items
            .iter()
            .filter_map(|i| match i {
                Value::Name(n) => Some(n.code()),
                _ => None,
            })
            .collect(),
        Value::Name(n) => vec![n.code()],
        _ => Vec::new(),
    }
}

impl Hello {
    /// The ClientHello among a connection's events, as the core decoded it.
    pub fn from_events(events: &[(u64, Event)]) -> Option<(Self, Vec<u8>)> {
        events.iter().find_map(|(_, e)| match e {
            Event::Message(m) if m.typ == HandshakeType::ClientHello => {
                Some((Self::from_message(m), m.raw.clone()))
            }
            _ => None,
        })
    }

    pub fn from_message(m: &Message) -> Self {
        let mut hello = Hello::default();
        for field in &m.fields {
            match field.id {
                FieldId::ClientVersion => {
                    hello.legacy_version = codes(&field.value).first().copied().unwrap_or(0)
                }
                FieldId::CipherSuites => hello.ciphers = codes(&field.value),
                FieldId::Extension(typ) => {
                    hello.extensions.push(typ.0);
                    hello.extension(typ, &field.value);
                }
                _ => {}
            }
        }
        hello
    }

    fn extension(&mut self, typ: ExtensionType, value: &Value) {
        match typ {
            ExtensionType::SupportedGroups => self.groups = codes(value),
            ExtensionType::EcPointFormats => self.point_formats = codes(value),
            ExtensionType::SignatureAlgorithms => self.signature_algorithms = codes(value),
            ExtensionType::SupportedVersions => self.supported_versions = codes(value),
            ExtensionType::ServerName => self.sni = crate::explain::host_name(value),
            ExtensionType::Alpn => {
                if let Value::List(items) = value {
                    self.alpn = items
                        .iter()
                        .filter_map(|i| match i {
                            Value::Bytes(b) => Some(b.clone()),
                            _ => None,
                        })
                        .collect();
                }
            }
            ExtensionType::KeyShare => {
                if let Value::List(shares) = value {
                    self.key_shares = shares
                        .iter()
                        .filter_map(|s| match s {
                            Value::Struct(fields) => {
                                let group = fields.iter().find(|f| f.id == FieldId::Group)?;
                                let key = fields.iter().find(|f| f.id == FieldId::KeyExchange)?;
                                let group = codes(&group.value).first().copied()?;
                                let len = match &key.value {
                                    Value::Bytes(b) => b.len(),
                                    _ => 0,
                                };
                                Some((group, len))
                            }
                            _ => None,
                        })
                        .collect();
                }
            }
            _ => {}
        }
    }
}

/// The four forms of JA4.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ja4 {
    pub ja4: String,
    pub ja4_r: String,
    pub ja4_o: String,
    pub ja4_ro: String,
}

fn hex_list(values: &[u16]) -> String {
    values
        .iter()
        .map(|v| format!("{v:04x}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The first 12 hex digits of SHA-256, or twelve zeros for an empty list (JA4.md: "this makes
/// it clear to the user when a field has no values").
fn hash12(text: &str, empty: bool) -> String {
    if empty {
        return "000000000000".into();
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    glasstls::trace::hex(digest.as_ref())
        .get(..12)
        .unwrap_or_default()
        .to_string()
}

fn alpn_chars(alpn: &[Vec<u8>]) -> String {
    let Some(first) = alpn.first().filter(|a| !a.is_empty()) else {
        return "00".into();
    };
    let (a, b) = match (first.first(), first.last()) {
        (Some(a), Some(b)) => (*a, *b),
        _ => return "00".into(),
    };
    if a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric() {
        format!("{}{}", a as char, b as char)
    } else {
        // "the first and last characters of the hex representation of the first ALPN".
        let hex = glasstls::trace::hex(first);
        let (h0, h1) = (hex.chars().next(), hex.chars().last());
        format!("{}{}", h0.unwrap_or('0'), h1.unwrap_or('0'))
    }
}

pub fn ja4(hello: &Hello) -> Ja4 {
    let keep = |v: &&u16| !is_grease(**v);
    let ciphers: Vec<u16> = hello.ciphers.iter().filter(keep).copied().collect();
    let extensions: Vec<u16> = hello.extensions.iter().filter(keep).copied().collect();
    let sigalgs: Vec<u16> = hello
        .signature_algorithms
        .iter()
        .filter(keep)
        .copied()
        .collect();
    let versions: Vec<u16> = hello
        .supported_versions
        .iter()
        .filter(keep)
        .copied()
        .collect();
    let version = versions
        .iter()
        .max()
        .copied()
        .unwrap_or(hello.legacy_version);
    let version = match version {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    };
    let sni = if extensions.contains(&0x0000) {
        "d"
    } else {
        "i"
    };
    let a = format!(
        "t{version}{sni}{:02}{:02}{}",
        ciphers.len().min(99),
        extensions.len().min(99),
        alpn_chars(&hello.alpn)
    );
    let mut sorted_ciphers = ciphers.clone();
    sorted_ciphers.sort_unstable();
    let mut sorted_extensions: Vec<u16> = extensions
        .iter()
        .filter(|e| **e != 0x0000 && **e != 0x0010)
        .copied()
        .collect();
    sorted_extensions.sort_unstable();
    let with_sigalgs = |list: &str| match sigalgs.is_empty() {
        true => list.to_string(),
        false => format!("{list}_{}", hex_list(&sigalgs)),
    };
    let b_sorted = hex_list(&sorted_ciphers);
    let c_sorted = with_sigalgs(&hex_list(&sorted_extensions));
    let b_original = hex_list(&ciphers);
    let c_original = with_sigalgs(&hex_list(&extensions));
    Ja4 {
        ja4: format!(
            "{a}_{}_{}",
            hash12(&b_sorted, ciphers.is_empty()),
            hash12(&c_sorted, sorted_extensions.is_empty())
        ),
        ja4_r: format!("{a}_{b_sorted}_{c_sorted}"),
        ja4_o: format!(
            "{a}_{}_{}",
            hash12(&b_original, ciphers.is_empty()),
            hash12(&c_original, extensions.is_empty())
        ),
        ja4_ro: format!("{a}_{b_original}_{c_original}"),
    }
}

/// JA3's text and its MD5.
pub fn ja3(hello: &Hello) -> (String, String) {
    let join = |values: &[u16]| {
        values
            .iter()
            .filter(|v| !is_grease(**v))
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("-")
    };
    let text = format!(
        "{},{},{},{},{}",
        hello.legacy_version,
        join(&hello.ciphers),
        join(&hello.extensions),
        join(&hello.groups),
        join(&hello.point_formats)
    );
    let hash = glasstls::trace::hex(&Md5::digest(text.as_bytes()));
    (text, hash)
}

/// IANA names of extensions and signature schemes browsers send that glasstls does not
/// implement (so its own tables do not name them): ALPS, ML-DSA signatures. (Suites have their
/// own table, `suite_names`.)
fn iana_name(code: u16) -> Option<&'static str> {
    Some(match code {
        0x44cd => "application_settings",
        0x4469 => "application_settings (old)",
        0x0904 => "mldsa44",
        0x0905 => "mldsa65",
        0x0906 => "mldsa87",
        _ => return None,
    })
}

/// A code point with its registry name (or GREASE, or unknown).
fn named(code: u16, name: Option<&'static str>) -> Json {
    let name = name.or_else(|| iana_name(code));
    json!({
        "code": format!("0x{code:04x}"),
        "name": if is_grease(code) { Some("GREASE") } else { name },
        "grease": is_grease(code),
    })
}

/// What `/json` answers and the page shows.
pub fn report(events: &[(u64, Event)], handshake_us: u128) -> Json {
    let Some((hello, raw)) = Hello::from_events(events) else {
        return json!({ "error": "no ClientHello was recorded" });
    };
    let (ja3_text, ja3_hash) = ja3(&hello);
    let fingerprint = ja4(&hello);
    let decisions: Vec<Json> = events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Decision(d) => Some(json!({ "decision": d.kind(), "text": d.to_string() })),
            _ => None,
        })
        .collect();
    json!({
        "client_hello": {
            "legacy_version": named(hello.legacy_version, glasstls::ProtocolVersion(hello.legacy_version).name()),
            "supported_versions": hello.supported_versions.iter().map(|v| named(*v, glasstls::ProtocolVersion(*v).name())).collect::<Vec<_>>(),
            "cipher_suites": hello.ciphers.iter().map(|c| named(*c, glasstls::CipherSuite(*c).name().or_else(|| crate::suite_names::name(*c)))).collect::<Vec<_>>(),
            "extensions": hello.extensions.iter().map(|e| named(*e, ExtensionType(*e).name())).collect::<Vec<_>>(),
            "supported_groups": hello.groups.iter().map(|g| named(*g, glasstls::NamedGroup(*g).name())).collect::<Vec<_>>(),
            "key_shares": hello.key_shares.iter().map(|(g, len)| {
                let mut share = named(*g, glasstls::NamedGroup(*g).name());
                share["length"] = json!(len);
                share
            }).collect::<Vec<_>>(),
            "signature_algorithms": hello.signature_algorithms.iter().map(|s| named(*s, glasstls::SignatureScheme(*s).name())).collect::<Vec<_>>(),
            "alpn": hello.alpn.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>(),
            "server_name": hello.sni,
            "encrypted_client_hello": hello.extensions.contains(&ExtensionType::EncryptedClientHello.0),
            "raw": glasstls::trace::hex(&raw),
        },
        "ja3": ja3_text,
        "ja3_hash": ja3_hash,
        "ja4": fingerprint.ja4,
        "ja4_r": fingerprint.ja4_r,
        "ja4_o": fingerprint.ja4_o,
        "ja4_ro": fingerprint.ja4_ro,
        "decisions": decisions,
        "handshake_us": handshake_us as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JA4.md's own worked example.
    fn example() -> Hello {
        Hello {
            legacy_version: 0x0303,
            ciphers: vec![
                0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
            ],
            extensions: vec![
                0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023,
                0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
            ],
            signature_algorithms: vec![
                0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
            ],
            supported_versions: vec![0x0304, 0x0303],
            alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            sni: Some("example.com".into()),
            ..Hello::default()
        }
    }

    #[test]
    fn ja4_matches_the_specifications_example() {
        let f = ja4(&example());
        assert_eq!(f.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
        assert_eq!(
            f.ja4_r,
            "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"
        );
        assert_eq!(f.ja4_o, "t13d1516h2_acb858a92679_18f69afefd3d");
        assert_eq!(
            f.ja4_ro,
            "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601"
        );
    }

    /// GREASE changes nothing, wherever it is; no signature algorithms end the hash input
    /// without an underscore (JA4.md: "= 6d807ffa2a79").
    #[test]
    fn grease_is_ignored_and_empty_lists_follow_the_rules() {
        let mut greasy = example();
        greasy.ciphers.insert(0, 0x0a0a);
        greasy.extensions.insert(3, 0x5a5a);
        greasy.supported_versions.insert(0, 0x7a7a);
        greasy.signature_algorithms.push(0xfafa);
        assert_eq!(ja4(&greasy), ja4(&example()));
        let mut no_sigalgs = example();
        no_sigalgs.signature_algorithms.clear();
        assert!(ja4(&no_sigalgs).ja4.ends_with("_6d807ffa2a79"));
        let bare = Hello {
            legacy_version: 0x0303,
            ..Hello::default()
        };
        assert_eq!(ja4(&bare).ja4, "t12i000000_000000000000_000000000000");
    }

    #[test]
    fn alpn_characters_follow_the_rules() {
        let alpn = |v: &[u8]| alpn_chars(&[v.to_vec()]);
        assert_eq!(alpn(b"http/1.1"), "h1");
        assert_eq!(alpn(b"h"), "hh");
        assert_eq!(alpn(&[0xab]), "ab");
        assert_eq!(alpn(&[0xab, 0xcd]), "ad");
        assert_eq!(alpn(&[0x30, 0xab]), "3b");
        assert_eq!(alpn(&[0x30, 0x31, 0xab, 0xcd]), "3d");
        assert_eq!(alpn(&[0x30, 0xab, 0xcd, 0x31]), "01");
        assert_eq!(alpn_chars(&[]), "00");
    }

    /// A JA3 whose text and hash a public inspector reported for Chrome 143.
    #[test]
    fn ja3_is_the_md5_of_its_text() {
        let hello = Hello {
            legacy_version: 771,
            ciphers: vec![
                0x2a2a, 4865, 4866, 4867, 49195, 49199, 49196, 49200, 52393, 52392, 49171, 49172,
                156, 157, 47, 53,
            ],
            extensions: vec![
                45, 51, 16, 65037, 23, 17613, 0, 11, 10, 43, 65281, 35, 18, 5, 13, 27, 0x3a3a,
            ],
            groups: vec![0x8a8a, 4588, 29, 23, 24],
            point_formats: vec![0],
            ..Hello::default()
        };
        let (text, hash) = ja3(&hello);
        assert_eq!(
            text,
            "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0"
        );
        assert_eq!(hash, "98487aa16281980e7d1120d399efb6a4");
    }
}
