//! The wire format: a cursor that cannot panic, one `Codec` trait, code points, messages.

pub mod codec;
pub mod enums;
pub mod messages;

pub use codec::{Codec, InvalidMessage};
pub use enums::*;
pub use messages::*;

/// RFC 8701 §2: GREASE code points are 0x0A0A, 0x1A1A, …, 0xFAFA.
pub fn is_grease(value: u16) -> bool {
    let [hi, lo] = value.to_be_bytes();
    hi == lo && hi & 0x0f == 0x0a
}

#[cfg(test)]
mod tests {
    #[test]
    fn grease_values_are_recognised() {
        use super::is_grease;
        assert!(is_grease(0x0a0a) && is_grease(0xfafa) && is_grease(0x3a3a));
        assert!(!is_grease(0x0a1a) && !is_grease(0x1301) && !is_grease(0x0000));
    }
}
