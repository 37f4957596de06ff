//! Keying material exporters: RFC 5705 for TLS 1.2, RFC 8446 §7.5 for TLS 1.3. What a
//! connection keeps for them once its handshake is done, and the derivations.

use crate::crypto::{Hash, MasterSecret, Secret};
use crate::error::{Error, Misuse};
use aws_lc_rs::hkdf;

/// The secret an established connection exports from, zeroized when dropped.
pub(crate) enum ExporterSecret {
    /// RFC 5705 §4: the master secret and both randoms (client's first). RFC 7627 §5.4 leaves
    /// exporters to connections with the extended master secret, whose master secret is bound
    /// to their own handshake; we export nothing without it. Boxed: it is more than twice the
    /// size of TLS 1.3's, which every TLS 1.3 connection would otherwise carry.
    Tls12(Box<Tls12Exporter>),
    /// RFC 8446 §7.5: exporter_master_secret.
    Tls13 { hash: Hash, secret: Secret },
}

/// What a TLS 1.2 connection exports from.
pub(crate) struct Tls12Exporter {
    hash: Hash,
    master_secret: MasterSecret,
    randoms: [u8; 64],
    extended_master_secret: bool,
}

impl ExporterSecret {
    /// TLS 1.2, from the connection's master secret and randoms.
    pub fn tls12(
        hash: Hash,
        master_secret: &MasterSecret,
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        extended_master_secret: bool,
    ) -> Self {
        let mut randoms = [0u8; 64];
        randoms[..32].copy_from_slice(client_random);
        randoms[32..].copy_from_slice(server_random);
        Self::Tls12(Box::new(Tls12Exporter {
            hash,
            master_secret: master_secret.clone(),
            randoms,
            extended_master_secret,
        }))
    }

    /// Fills `out` with keying material for `label` and, if given, `context`.
    pub fn export(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), Error> {
        match self {
            // RFC 5705 §4:
            //   PRF(SecurityParameters.master_secret, label,
            //       SecurityParameters.client_random + SecurityParameters.server_random +
            //       context_value_length + context_value)[length]
            // "If no context is provided, it then computes: PRF(..., client_random +
            // server_random)[length]", so no context and an empty one differ.
            Self::Tls12(tls12) => {
                let Tls12Exporter {
                    hash,
                    master_secret,
                    randoms,
                    extended_master_secret,
                } = tls12.as_ref();
                if !extended_master_secret {
                    return Err(Misuse::ExporterNeedsExtendedMasterSecret.into());
                }
                let mut seed = randoms.to_vec();
                if let Some(context) = context {
                    let len = u16::try_from(context.len())
                        .map_err(|_| Error::Misuse(Misuse::ExporterContextTooLong))?;
                    seed.extend_from_slice(&len.to_be_bytes());
                    seed.extend_from_slice(context);
                }
                crate::tls12::prf::prf(*hash, master_secret.as_bytes(), label, &seed, out);
                Ok(())
            }
            // RFC 8446 §7.5:
            //   TLS-Exporter(label, context_value, key_length) =
            //       HKDF-Expand-Label(Derive-Secret(Secret, label, ""),
            //                         "exporter", Hash(context_value), key_length)
            // "a zero-length context_value and no context at all" give the same output.
            Self::Tls13 { hash, secret } => {
                let algorithm = hash.digest();
                let empty = aws_lc_rs::digest::digest(algorithm, b"");
                let mut derived = vec![0u8; algorithm.output_len];
                expand_label(*hash, secret, label, empty.as_ref(), &mut derived)?;
                let context_hash =
                    aws_lc_rs::digest::digest(algorithm, context.unwrap_or_default());
                let result = expand_label(*hash, &derived, b"exporter", context_hash.as_ref(), out);
                zeroize::Zeroize::zeroize(&mut derived);
                result
            }
        }
    }
}

/// RFC 8446 §7.1 HKDF-Expand-Label into `out`, of any length HKDF allows (255 hash lengths)
/// and any label that fits HkdfLabel's `opaque label<7..255>` with its "tls13 " prefix.
fn expand_label(
    hash: Hash,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<(), Error> {
    struct Len(usize);
    impl hkdf::KeyType for Len {
        fn len(&self) -> usize {
            self.0
        }
    }
    let too_long = || Error::Misuse(Misuse::ExporterOutputTooLong);
    let length = u16::try_from(out.len()).map_err(|_| too_long())?;
    let full_label =
        u8::try_from(6 + label.len()).map_err(|_| Error::Misuse(Misuse::ExporterLabelTooLong))?;
    let mut info = Vec::with_capacity(4 + usize::from(full_label) + context.len());
    info.extend_from_slice(&length.to_be_bytes());
    info.push(full_label);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(u8::try_from(context.len()).map_err(|_| too_long())?);
    info.extend_from_slice(context);
    let algorithm = match hash {
        Hash::Sha256 => hkdf::HKDF_SHA256,
        Hash::Sha384 => hkdf::HKDF_SHA384,
    };
    hkdf::Prk::new_less_safe(algorithm, secret)
        .expand(&[&info], Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| too_long())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TLS 1.3 exports the same with no context and an empty one; TLS 1.2 does not (RFC 5705
    /// §4); different labels, contexts and lengths give different material.
    #[test]
    fn exports_follow_each_rfcs_rules_for_labels_and_contexts() {
        let tls13 = ExporterSecret::Tls13 {
            hash: Hash::Sha256,
            secret: Secret::new(&[7; 32]),
        };
        let out = |e: &ExporterSecret, label: &[u8], context: Option<&[u8]>, len: usize| {
            let mut out = vec![0; len];
            e.export(&mut out, label, context).map(|()| out)
        };
        assert_eq!(
            out(&tls13, b"EXPERIMENTAL x", None, 32),
            out(&tls13, b"EXPERIMENTAL x", Some(b""), 32)
        );
        assert_ne!(
            out(&tls13, b"EXPERIMENTAL x", None, 32),
            out(&tls13, b"EXPERIMENTAL y", None, 32)
        );
        assert_ne!(
            out(&tls13, b"EXPERIMENTAL x", Some(b"a"), 32),
            out(&tls13, b"EXPERIMENTAL x", Some(b"b"), 32)
        );
        // Shorter output is not a prefix of longer (the length is in HkdfLabel).
        let long = out(&tls13, b"EXPERIMENTAL x", None, 64).unwrap();
        let short = out(&tls13, b"EXPERIMENTAL x", None, 16).unwrap();
        assert_ne!(&long[..16], &short[..]);
        assert!(out(&tls13, b"EXPERIMENTAL x", None, 255 * 32 + 1).is_err());

        let tls12 = ExporterSecret::tls12(
            Hash::Sha256,
            &MasterSecret::from_bytes([3; 48]),
            &[1; 32],
            &[2; 32],
            true,
        );
        assert_ne!(
            out(&tls12, b"EXPERIMENTAL x", None, 32),
            out(&tls12, b"EXPERIMENTAL x", Some(b""), 32)
        );
        // The PRF's output is a stream: a shorter export is a prefix of a longer one.
        let long = out(&tls12, b"EXPERIMENTAL x", None, 64).unwrap();
        assert_eq!(
            &long[..16],
            &out(&tls12, b"EXPERIMENTAL x", None, 16).unwrap()[..]
        );
        let without_ems = ExporterSecret::tls12(
            Hash::Sha256,
            &MasterSecret::from_bytes([3; 48]),
            &[1; 32],
            &[2; 32],
            false,
        );
        assert_eq!(
            out(&without_ems, b"EXPERIMENTAL x", None, 32),
            Err(Misuse::ExporterNeedsExtendedMasterSecret.into())
        );
    }
}
