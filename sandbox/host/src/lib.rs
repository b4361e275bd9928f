//! flinch sandbox host.
