//! What glasstls's tests share: a throw-away PKI ([`pki`]), one in-memory client and server
//! with a simulated clock ([`pair`]), and record surgery for hostile-input tests ([`records`]).
//! `glasstls demo` and the benchmark use the PKI too.

#![forbid(unsafe_code)]

pub mod pair;
pub mod pki;
pub mod records;
pub mod secrets;

pub use pair::{Pair, deliver, pump, pump_at};
pub use pki::{Ca, KeyKind, Leaf, Pki};

/// `lines` lines of pseudo-random hex, each ending in a newline: about 1 MiB for 16 384 lines.
pub fn hex_lines(seed: u64, lines: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(lines * 64);
    for _ in 0..lines {
        for _ in 0..63 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.push(b"0123456789abcdef"[(x % 16) as usize]);
        }
        out.push(b'\n');
    }
    out
}
