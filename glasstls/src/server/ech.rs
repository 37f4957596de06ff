//! Encrypted Client Hello, server side (RFC 9849 §7.1): open the inner ClientHello the client
//! encrypted under one of our ECH keys, rebuild it (its session ID and the outer extensions it
//! compressed away), and hand it on as the ClientHello; or, when it does not open, go on with
//! the outer one and send retry_configs.

use crate::config::ServerConfig;
use crate::conn::EchStatus;
use crate::ech::EchKey;
use crate::error::{Error, PeerMisbehaved};
use crate::hpke::{self, Context};
use crate::wire::codec::{LengthPrefix, Reader};
use crate::wire::{
    ClientHello, Codec, Extension, ExtensionType, HandshakeMessage, HandshakePayload as P,
    InvalidMessage,
};

use crate::ech::ECH_OUTER_EXTENSIONS;
pub(super) use crate::ech::{Confirming, ENCRYPTED_CLIENT_HELLO, confirmation};

/// What the ClientHello's ECH offer came to.
pub(super) enum Opened {
    /// No ECH extension, or we hold no ECH key (the extension is then ignored: GREASE).
    NotOffered,
    /// §7.2 "Backend server": a ClientHello that is itself an inner one (a client-facing
    /// server decrypted it for us, or a client tells us it offers ECH); we confirm acceptance.
    Backend,
    /// The inner ClientHello (boxed: it is large).
    Accepted(Box<Inner>),
    /// An offer we cannot open (another key, GREASE, a config we rotated out): the handshake
    /// goes on with the outer ClientHello and EncryptedExtensions carries retry_configs.
    Rejected,
}

/// An opened inner ClientHello, its bytes as the transcript takes them, and what opens the
/// second ClientHello if a HelloRetryRequest asks for one.
pub(super) struct Inner {
    pub hello: ClientHello,
    pub bytes: Vec<u8>,
    pub retry: Retry,
}

/// RFC 9849 §6.1.5: the HPKE context of the first ClientHelloOuter opens the second, under
/// the same config and suite.
pub(super) struct Retry {
    context: Context,
    config_id: u8,
    kdf: u16,
    aead: u16,
}

/// RFC 9849 §7.1.1: the second ClientHelloOuter, after a HelloRetryRequest that confirmed ECH,
/// must carry ECH under the same config and suite, with an empty enc; its inner hello is opened
/// with the first one's context.
pub(super) fn open_second(
    retry: &mut Retry,
    outer: &ClientHello,
    raw: &[u8],
) -> Result<(ClientHello, Vec<u8>), Error> {
    let Some(Extension::Unknown { data, .. }) = outer.find(ENCRYPTED_CLIENT_HELLO) else {
        return Err(
            crate::error::PeerIncompatible::MissingExtension(ENCRYPTED_CLIENT_HELLO).into(),
        );
    };
    let offer = read_offer(data)?;
    if offer.config_id != retry.config_id
        || (offer.kdf, offer.aead) != (retry.kdf, retry.aead)
        || !offer.enc.is_empty()
    {
        return Err(PeerMisbehaved::EchSecondHelloChanged.into());
    }
    let aad = outer_aad(raw, offer.payload.len())?;
    let encoded = retry
        .context
        .open(&aad, offer.payload)
        .map_err(|_| crate::error::DecryptError::EchSecondClientHello)?;
    let inner = rebuild(outer, &encoded)?;
    let bytes = HandshakeMessage::new(P::ClientHello(inner.clone())).to_bytes();
    Ok((inner, bytes))
}

/// RFC 9849 §5 ECHClientHello of type outer.
struct Offer<'a> {
    kdf: u16,
    aead: u16,
    config_id: u8,
    enc: &'a [u8],
    payload: &'a [u8],
}

fn read_offer(data: &[u8]) -> Result<Offer<'_>, Error> {
    let mut r = Reader::new(data);
    match r.u8("ECHClientHelloType")? {
        0 => {}
        _ => return Err(InvalidMessage::IllegalValue("ECHClientHelloType").into()),
    }
    let kdf = r.u16("kdf_id")?;
    let aead = r.u16("aead_id")?;
    let config_id = r.u8("config_id")?;
    let enc_len = usize::from(r.u16("enc")?);
    let enc = r.take(enc_len, "enc")?;
    let payload_len = usize::from(r.u16("payload")?);
    if payload_len == 0 {
        return Err(InvalidMessage::BadLength("payload").into());
    }
    let payload = r.take(payload_len, "payload")?;
    r.expect_empty("ECHClientHello")?;
    Ok(Offer {
        kdf,
        aead,
        config_id,
        enc,
        payload,
    })
}

/// RFC 9849 §7.1: the ClientHello the server should handshake on.
pub(super) fn open(
    config: &ServerConfig,
    outer: &ClientHello,
    raw: &[u8],
) -> Result<Opened, Error> {
    let Some(Extension::Unknown { data, .. }) = outer.find(ENCRYPTED_CLIENT_HELLO) else {
        return Ok(Opened::NotOffered);
    };
    // RFC 9849 §7.2: "Upon receipt of an "encrypted_client_hello" extension of type inner in a
    // ClientHello, if the backend server negotiates TLS 1.3 or higher, then it MUST confirm
    // ECH acceptance"; the extension of type inner is empty (§5).
    match data.first() {
        Some(1) if data.len() == 1 => return Ok(Opened::Backend),
        Some(1) => return Err(PeerMisbehaved::EchInnerNotEmpty.into()),
        _ => {}
    }
    if config.ech_keys.is_empty() {
        return Ok(Opened::NotOffered);
    }
    let offer = read_offer(data)?;
    let (Some(kdf), Some(aead)) = (
        hpke::Kdf::from_id(offer.kdf),
        hpke::Aead::from_id(offer.aead),
    ) else {
        return Ok(Opened::Rejected);
    };
    // "The server ... MUST NOT assume config_id is unique": try each key with that number.
    let candidates = config.ech_keys.iter().filter(|k| {
        k.config.config_id == offer.config_id
            && k.config.cipher_suites.contains(&(offer.kdf, offer.aead))
    });
    let aad = outer_aad(raw, offer.payload.len())?;
    for key in candidates {
        if let Some((encoded, context)) = decrypt(key, &offer, kdf, aead, &aad) {
            let inner = rebuild(outer, &encoded)?;
            let bytes = HandshakeMessage::new(P::ClientHello(inner.clone())).to_bytes();
            let retry = Retry {
                context,
                config_id: offer.config_id,
                kdf: offer.kdf,
                aead: offer.aead,
            };
            return Ok(Opened::Accepted(Box::new(Inner {
                hello: inner,
                bytes,
                retry,
            })));
        }
    }
    Ok(Opened::Rejected)
}

/// RFC 9849 §6.1: SetupBaseR with info = "tls ech" || 0x00 || ECHConfig, then Open.
fn decrypt(
    key: &EchKey,
    offer: &Offer<'_>,
    kdf: hpke::Kdf,
    aead: hpke::Aead,
    aad: &[u8],
) -> Option<(Vec<u8>, Context)> {
    let mut info = b"tls ech\0".to_vec();
    info.extend_from_slice(&key.config.to_bytes());
    let mut context = Context::receiver(offer.enc, &key.key, &info, kdf, aead).ok()?;
    let plaintext = context.open(aad, offer.payload).ok()?;
    Some((plaintext, context))
}

/// RFC 9849 §5.2 ClientHelloOuterAAD: the outer ClientHello (without its handshake header)
/// with the payload replaced by as many zeros. The payload ends the extension, which is found
/// by walking the hello's layout (linear in its length, whatever its bytes).
fn outer_aad(raw: &[u8], payload_len: usize) -> Result<Vec<u8>, Error> {
    let body = crate::ech::extension_body(crate::wire::HandshakeType::ClientHello, raw)
        .ok_or(InvalidMessage::IllegalValue("encrypted_client_hello"))?;
    let mut aad = raw
        .get(4..)
        .ok_or(InvalidMessage::Truncated("ClientHello"))?
        .to_vec();
    let end = body.end.saturating_sub(4);
    if let Some(payload) = aad.get_mut(end.saturating_sub(payload_len)..end) {
        payload.fill(0);
    }
    Ok(aad)
}

/// RFC 9849 §5.1: EncodedClientHelloInner is a ClientHello body with an empty session ID,
/// extensions possibly compressed into ech_outer_extensions, and zero padding. The inner
/// ClientHello gets the outer's session ID and the outer extensions named, in order.
fn rebuild(outer: &ClientHello, encoded: &[u8]) -> Result<ClientHello, Error> {
    let len = client_hello_len(encoded).ok_or(InvalidMessage::Truncated("ClientHelloInner"))?;
    let (body, padding) = encoded.split_at(len.min(encoded.len()));
    // §7.1: "the server MUST ... abort with illegal_parameter" unless the padding is zeros.
    if padding.iter().any(|b| *b != 0) {
        return Err(PeerMisbehaved::EchPadding.into());
    }
    let mut framed = vec![1u8];
    framed.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    framed.extend_from_slice(body);
    let P::ClientHello(mut inner) = HandshakeMessage::from_bytes(&framed)?.payload else {
        return Err(InvalidMessage::IllegalValue("ClientHelloInner").into());
    };
    if !inner.session_id.is_empty() {
        return Err(PeerMisbehaved::EchInnerMalformed.into());
    }
    inner.session_id = outer.session_id.clone();
    let mut extensions = Vec::with_capacity(inner.extensions.len());
    let mut last_used = None;
    for ext in inner.extensions {
        match ext {
            Extension::Unknown { typ, data } if typ == ECH_OUTER_EXTENSIONS => {
                let mut r = Reader::new(&data);
                let mut list = r.sub(LengthPrefix::U8, "OuterExtensions")?;
                r.expect_empty("ech_outer_extensions")?;
                if list.is_empty() {
                    return Err(PeerMisbehaved::EchOuterExtensions.into());
                }
                while !list.is_empty() {
                    let wanted = ExtensionType(list.u16("ExtensionType")?);
                    if wanted == ENCRYPTED_CLIENT_HELLO {
                        return Err(PeerMisbehaved::EchOuterExtensions.into());
                    }
                    // In the outer hello's order, each once.
                    let from = last_used.map_or(0, |i| i + 1);
                    let found = outer
                        .extensions
                        .iter()
                        .enumerate()
                        .skip(from)
                        .find(|(_, e)| e.typ() == wanted)
                        .ok_or(PeerMisbehaved::EchOuterExtensions)?;
                    last_used = Some(found.0);
                    extensions.push(found.1.clone());
                }
            }
            other => extensions.push(other),
        }
    }
    // The rebuilt hello is a ClientHello like any: no extension twice (RFC 8446 §4.2).
    for (i, ext) in extensions.iter().enumerate() {
        if extensions.iter().skip(i + 1).any(|e| e.typ() == ext.typ()) {
            return Err(PeerMisbehaved::EchOuterExtensions.into());
        }
    }
    inner.extensions = extensions;
    // §7.1: the inner hello carries ECH of type inner, and offers TLS 1.3 or later only.
    let inner_marker = matches!(
        inner.find(ENCRYPTED_CLIENT_HELLO),
        Some(Extension::Unknown { data, .. }) if data == &[1]
    );
    let tls13_only = match inner.find(ExtensionType::SupportedVersions) {
        Some(Extension::SupportedVersions(versions)) => versions
            .iter()
            .filter(|v| !crate::wire::is_grease(v.0))
            .all(|v| v.0 >= 0x0304),
        _ => false,
    };
    if !inner_marker || !tls13_only {
        return Err(PeerMisbehaved::EchInnerMalformed.into());
    }
    Ok(inner)
}

/// Where a ClientHello body ends (its fields are length-prefixed; what follows is padding).
fn client_hello_len(body: &[u8]) -> Option<usize> {
    let byte = |at: usize| body.get(at).copied().map(usize::from);
    let mut at = 2 + 32;
    at += 1 + byte(at)?;
    at += 2 + ((byte(at)? << 8) | byte(at + 1)?);
    at += 1 + byte(at)?;
    at += 2 + ((byte(at)? << 8) | byte(at + 1)?);
    (at <= body.len()).then_some(at)
}

/// What EncryptedExtensions carries for a client whose offer we rejected (§7.1): every config
/// we hold, so it can retry.
pub(super) fn retry_configs(config: &ServerConfig) -> Extension {
    let configs: Vec<_> = config
        .ech_keys
        .iter()
        .filter(|k| k.retry)
        .map(|k| k.config.clone())
        .collect();
    Extension::Unknown {
        typ: ENCRYPTED_CLIENT_HELLO,
        data: crate::ech::config_list(&configs),
    }
}

/// The status a server reports for a ClientHello's offer.
pub(super) fn status(opened: &Opened) -> EchStatus {
    match opened {
        Opened::NotOffered => EchStatus::NotOffered,
        Opened::Accepted(..) | Opened::Backend => EchStatus::Accepted,
        Opened::Rejected => EchStatus::Rejected,
    }
}
