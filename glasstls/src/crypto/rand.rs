//! Randomness: the system's (aws-lc-rs), or in fuzz builds only a deterministic stream.

use crate::error::Error;
#[cfg(not(fuzzing))]
use crate::error::InternalError;

/// `N` bytes from the system's random source (in fuzz builds, the deterministic stream).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    fill_random(&mut out)?;
    Ok(out)
}

/// Fills `out` from the system's random source (in fuzz builds, the deterministic stream).
pub fn fill_random(out: &mut [u8]) -> Result<(), Error> {
    #[cfg(not(fuzzing))]
    {
        use aws_lc_rs::rand::SecureRandom;
        aws_lc_rs::rand::SystemRandom::new()
            .fill(out)
            .map_err(|_| Error::Internal(InternalError::RandomSource))?;
    }
    #[cfg(fuzzing)]
    fuzzing::fill(out);
    Ok(())
}

/// Deterministic randomness for fuzz builds only (`--cfg fuzzing`, which cargo-fuzz sets), so
/// that an input replays to the same run: the same randoms, session IDs, ticket keys and key
/// shares. Never compiled into anything else. ML-KEM keys and encapsulations, RSA padding and
/// ECDSA/RSA-PSS signatures still come from aws-lc's own generator, so handshakes that use them
/// are not reproducible past that point (the fuzz seeds use X25519 and Ed25519 for that reason).
#[cfg(fuzzing)]
pub mod fuzzing {
    use aws_lc_rs::{agreement, digest};
    use std::cell::Cell;

    thread_local! {
        static STATE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }

    /// Restarts this thread's stream of "random" bytes: after `reset(s)` the same calls give
    /// the same bytes.
    pub fn reset(stream: u64) {
        seek((stream, 0));
    }

    /// Where this thread's stream is, so that two connections driven by one thread (the seed
    /// generator's client and server) can each keep their own.
    pub fn position() -> (u64, u64) {
        STATE.with(Cell::get)
    }

    /// Puts this thread's stream back where `position` says.
    pub fn seek(position: (u64, u64)) {
        STATE.with(|s| s.set(position));
    }

    /// SHA-256 over (stream, counter) in counter mode.
    pub(super) fn fill(out: &mut [u8]) {
        for chunk in out.chunks_mut(32) {
            let (stream, counter) = STATE.with(|s| {
                let (stream, counter) = s.get();
                s.set((stream, counter.wrapping_add(1)));
                (stream, counter)
            });
            let input = [stream.to_be_bytes(), counter.to_be_bytes()].concat();
            let block = digest::digest(&digest::SHA256, &input);
            for (byte, random) in chunk.iter_mut().zip(block.as_ref()) {
                *byte = *random;
            }
        }
    }

    pub(in crate::crypto) fn ecdh_private_key(
        alg: &'static agreement::Algorithm,
    ) -> Result<agreement::PrivateKey, aws_lc_rs::error::Unspecified> {
        let len = if alg == &agreement::ECDH_P384 {
            48
        } else if alg == &agreement::ECDH_P521 {
            66
        } else {
            32
        };
        let mut bytes = vec![0u8; len];
        fill(&mut bytes);
        if alg == &agreement::ECDH_P521 {
            // A P-521 scalar has 521 bits: the first byte holds one.
            if let Some(first) = bytes.first_mut() {
                *first &= 0x01;
            }
        }
        agreement::PrivateKey::from_private_key(alg, &bytes)
            .map_err(|_| aws_lc_rs::error::Unspecified)
    }
}
