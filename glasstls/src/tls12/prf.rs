//! TLS 1.2 key derivation, as pure functions: the PRF (RFC 5246 §5), the master secret (§8.1) and the extended
//! master secret (RFC 7627 §4), the key block (§6.3), and Finished verify_data (§7.4.9).
//!
//! ```text
//!   pre_master_secret
//!         │  PRF(pms, "master secret", client_random + server_random)         (RFC 5246 §8.1)
//!         │  or PRF(pms, "extended master secret", session_hash)              (RFC 7627 §4)
//!         ▼
//!   master_secret (48 bytes)
//!         │  PRF(ms, "key expansion", server_random + client_random)          (RFC 5246 §6.3)
//!         ▼
//!   key_block = client_write_key ‖ server_write_key ‖ client_write_IV ‖ server_write_IV
//!               (AEAD suites have no MAC keys)
//! ```

use crate::crypto::{Aead, Hash};
use aws_lc_rs::hmac;
use zeroize::Zeroizing;

/// RFC 5246 §5:
/// ```text
/// P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) +
///                        HMAC_hash(secret, A(2) + seed) + ...
/// A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
/// PRF(secret, label, seed) = P_<hash>(secret, label + seed)
/// ```
pub fn prf(hash: Hash, secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    PrfKey::new(hash, secret).fill(label, seed, out);
}

/// A PRF secret set up once as an HMAC key (its inner and outer pads hashed once). A connection
/// runs three PRFs under its master secret, the key block and both Finished values (RFC 5246
/// §6.3, §7.4.9), so it keeps one `PrfKey` for them instead of paying for the pads three times.
pub struct PrfKey {
    key: hmac::Key,
    block_len: usize,
}

impl PrfKey {
    /// `secret` as the HMAC key of P_`hash`.
    pub fn new(hash: Hash, secret: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hash.hmac(), secret),
            block_len: hash.digest().output_len,
        }
    }

    /// The master secret as a PRF key.
    pub fn master(hash: Hash, ms: &MasterSecret) -> Self {
        Self::new(hash, ms.as_bytes())
    }

    /// `out.len()` bytes of PRF(secret, label, seed).
    pub fn fill(&self, label: &[u8], seed: &[u8], out: &mut [u8]) {
        let key = &self.key;
        let mut a = {
            let mut ctx = hmac::Context::with_key(key);
            ctx.update(label);
            ctx.update(seed);
            ctx.sign()
        };
        let mut chunks = out.chunks_mut(self.block_len).peekable();
        while let Some(chunk) = chunks.next() {
            let mut ctx = hmac::Context::with_key(key);
            ctx.update(a.as_ref());
            ctx.update(label);
            ctx.update(seed);
            let block = ctx.sign();
            for (dst, src) in chunk.iter_mut().zip(block.as_ref()) {
                *dst = *src;
            }
            // A(i + 1) only when another block follows: a 12-byte Finished needs two HMACs, not three.
            if chunks.peek().is_some() {
                a = hmac::sign(key, a.as_ref());
            }
        }
    }
}

pub use crate::crypto::MasterSecret;

/// RFC 5246 §8.1:
/// `master_secret = PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random)[0..47]`
pub fn master_secret(
    hash: Hash,
    pre_master_secret: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> MasterSecret {
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(client_random);
    seed[32..].copy_from_slice(server_random);
    let mut out = Zeroizing::new([0u8; 48]);
    prf(
        hash,
        pre_master_secret,
        b"master secret",
        &seed,
        &mut out[..],
    );
    MasterSecret(out)
}

/// RFC 7627 §4:
/// `master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47]`
/// where session_hash is the hash of the handshake up to and including ClientKeyExchange.
pub fn extended_master_secret(
    hash: Hash,
    pre_master_secret: &[u8],
    session_hash: &[u8],
) -> MasterSecret {
    let mut out = Zeroizing::new([0u8; 48]);
    prf(
        hash,
        pre_master_secret,
        b"extended master secret",
        session_hash,
        &mut out[..],
    );
    MasterSecret(out)
}

/// The write keys and IVs of both directions, zeroized when dropped.
pub struct KeyBlock {
    /// client_write_key.
    pub client_write_key: Zeroizing<Vec<u8>>,
    /// server_write_key.
    pub server_write_key: Zeroizing<Vec<u8>>,
    /// client_write_IV.
    pub client_write_iv: Zeroizing<Vec<u8>>,
    /// server_write_IV.
    pub server_write_iv: Zeroizing<Vec<u8>>,
}

/// RFC 5246 §6.3:
/// `key_block = PRF(SecurityParameters.master_secret, "key expansion",
///                  SecurityParameters.server_random + SecurityParameters.client_random)`
pub fn key_block(
    ms: &PrfKey,
    aead: Aead,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> KeyBlock {
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(server_random);
    seed[32..].copy_from_slice(client_random);
    let (k, iv) = (aead.key_len(), aead.fixed_iv_len());
    let mut block = Zeroizing::new(vec![0u8; 2 * k + 2 * iv]);
    ms.fill(b"key expansion", &seed, &mut block);
    // The PRF filled exactly 2k + 2iv bytes, so every split below is in range.
    let (client_write_key, rest) = block.split_at(k);
    let (server_write_key, rest) = rest.split_at(k);
    let (client_write_iv, server_write_iv) = rest.split_at(iv);
    KeyBlock {
        client_write_key: Zeroizing::new(client_write_key.to_vec()),
        server_write_key: Zeroizing::new(server_write_key.to_vec()),
        client_write_iv: Zeroizing::new(client_write_iv.to_vec()),
        server_write_iv: Zeroizing::new(server_write_iv.to_vec()),
    }
}

/// RFC 5246 §7.4.9:
/// `verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..verify_data_length-1]`
pub fn verify_data(ms: &PrfKey, label: &[u8], handshake_hash: &[u8]) -> [u8; 12] {
    let mut out = [0u8; 12];
    ms.fill(label, handshake_hash, &mut out);
    out
}

/// RFC 5246 §7.4.9 finished_label of the client.
pub const CLIENT_FINISHED: &[u8] = b"client finished";
/// RFC 5246 §7.4.9 finished_label of the server.
pub const SERVER_FINISHED: &[u8] = b"server finished";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::unhex as hex;

    // The TLS 1.2 PRF test vectors circulated on the IETF TLS list (2010) and used by several
    // stacks' test suites; confirmed independently here with
    // `openssl kdf -keylen 100 -kdfopt digest:SHA256 -kdfopt hexsecret:... -kdfopt hexseed:... TLS1-PRF`.
    #[test]
    fn prf_sha256_known_answer() {
        let secret = hex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35");
        let seed = hex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c");
        let mut out = [0u8; 100];
        prf(Hash::Sha256, &secret, b"test label", &seed, &mut out);
        assert_eq!(out.to_vec(), hex(PRF_SHA256_OUT));
    }

    #[test]
    fn prf_sha384_known_answer() {
        let secret = hex("b8 0b 73 3d 6c ee fc dc 71 56 6e a4 8e 55 67 df");
        let seed = hex("cd 66 5c f6 a8 44 7d d6 ff 8b 27 55 5e db 74 65");
        let mut out = [0u8; 148];
        prf(Hash::Sha384, &secret, b"test label", &seed, &mut out);
        assert_eq!(out.to_vec(), hex(PRF_SHA384_OUT));
    }

    // Known answers for the derivations below were computed independently with OpenSSL's
    // TLS1-PRF (`openssl kdf ... TLS1-PRF` with the label prepended to the seed).
    fn inputs() -> (Vec<u8>, [u8; 32], [u8; 32]) {
        let mut pms = vec![3u8, 3];
        pms.extend(1..=46u8);
        let client_random: [u8; 32] = std::array::from_fn(|i| i as u8);
        let server_random: [u8; 32] = std::array::from_fn(|i| 32 + i as u8);
        (pms, client_random, server_random)
    }

    #[test]
    fn master_secret_known_answer() {
        let (pms, cr, sr) = inputs();
        assert_eq!(
            master_secret(Hash::Sha256, &pms, &cr, &sr)
                .as_bytes()
                .to_vec(),
            hex(
                "fb51721a8916841437350870790c928e0a9bf72120649894769d001e6a08b9ec1b594f50f30b4d29f14c14a6c997fd61"
            )
        );
        assert_eq!(
            master_secret(Hash::Sha384, &pms, &cr, &sr)
                .as_bytes()
                .to_vec(),
            hex(
                "37fa73ca4e87b9fa12acdf8da81d90323576c036f15b4c46e3ddfd6e249d624dd2d59530a713e5a23268d0f51b1359c3"
            )
        );
    }

    #[test]
    fn extended_master_secret_known_answer() {
        let (pms, _, _) = inputs();
        // session_hash = SHA-256("session")
        let session_hash = hex("3f3af1ecebbd1410ab417ec0d27bbfcb5d340e177ae159b59fc8626c2dfd9175");
        assert_eq!(
            extended_master_secret(Hash::Sha256, &pms, &session_hash)
                .as_bytes()
                .to_vec(),
            hex(
                "e3a776b444666fc6852cf3bf944659a2fe0ff8bfb95f0107bb1640fa063e07100743f201769daa779c0a6e4e76efc33e"
            )
        );
    }

    #[test]
    fn key_block_known_answer_splits_keys_and_ivs_in_rfc_order() {
        let (pms, cr, sr) = inputs();
        let ms = master_secret(Hash::Sha256, &pms, &cr, &sr);
        let block = key_block(
            &PrfKey::master(Hash::Sha256, &ms),
            Aead::Aes128Gcm,
            &cr,
            &sr,
        );
        let expected =
            hex("fa3ababb00cf493b4bc7716e7b7c7117b034a1a1ba01364eba075626a13a4a550ba09ae1303b594b");
        assert_eq!(block.client_write_key.to_vec(), expected[..16]);
        assert_eq!(block.server_write_key.to_vec(), expected[16..32]);
        assert_eq!(block.client_write_iv.to_vec(), expected[32..36]);
        assert_eq!(block.server_write_iv.to_vec(), expected[36..40]);
        let chacha = key_block(
            &PrfKey::master(Hash::Sha256, &ms),
            Aead::ChaCha20Poly1305,
            &cr,
            &sr,
        );
        assert_eq!(
            (chacha.client_write_key.len(), chacha.client_write_iv.len()),
            (32, 12)
        );
    }

    const PRF_SHA256_OUT: &str = include_str!("../../tests/vectors/prf_sha256.hex");
    const PRF_SHA384_OUT: &str = include_str!("../../tests/vectors/prf_sha384.hex");
}
