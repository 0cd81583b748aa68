//! The subcommands of `webhooks`, as a library so the tests drive them as a user does.

pub mod csv;
pub mod self_check;
pub mod translations;
