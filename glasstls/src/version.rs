//! The protocol versions glasstls speaks, as a type: the record layer, the connection and the
//! configuration say [`Version`], never a flag or a raw code point.

use crate::wire::ProtocolVersion;
use std::fmt;

/// A version of TLS that glasstls implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// TLS 1.2 (RFC 5246).
    Tls12,
    /// TLS 1.3 (RFC 8446).
    Tls13,
}

impl Version {
    /// Every version glasstls implements, newest first (the default preference).
    pub const ALL: [Self; 2] = [Self::Tls13, Self::Tls12];

    /// The code point on the wire.
    pub fn wire(self) -> ProtocolVersion {
        match self {
            Self::Tls12 => ProtocolVersion::TLSv1_2,
            Self::Tls13 => ProtocolVersion::TLSv1_3,
        }
    }

    /// The version a code point names, if glasstls implements it.
    pub fn from_wire(version: ProtocolVersion) -> Option<Self> {
        match version {
            ProtocolVersion::TLSv1_2 => Some(Self::Tls12),
            ProtocolVersion::TLSv1_3 => Some(Self::Tls13),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.wire(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_round_trip_through_their_code_points_and_print_as_the_rfc_names_them() {
        for v in Version::ALL {
            assert_eq!(Version::from_wire(v.wire()), Some(v));
        }
        assert_eq!(Version::from_wire(ProtocolVersion::TLSv1_1), None);
        assert_eq!(Version::Tls13.to_string(), "TLSv1.3");
        assert!(Version::Tls12 < Version::Tls13);
    }
}
