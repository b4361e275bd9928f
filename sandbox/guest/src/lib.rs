//! flinch sandbox guest.
