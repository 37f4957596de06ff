//! Which end of a connection.

/// The role of a connection: the side that sent the ClientHello, or the one that answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The side that connects and sends the ClientHello.
    Client,
    /// The side that accepts and answers it.
    Server,
}

impl Side {
    /// The other end.
    pub fn peer(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }
}
