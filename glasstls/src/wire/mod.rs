//! The wire format: a cursor that cannot panic, one `Codec` trait, code points, messages.

pub mod codec;
pub mod enums;
pub mod messages;

pub use codec::{Codec, InvalidMessage};
pub use enums::*;
pub use messages::*;
