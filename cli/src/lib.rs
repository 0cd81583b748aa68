//! The subcommands of `webhooks`, as a library so the tests drive them as a user does.

pub mod csv;
pub mod seed;
pub mod self_check;
pub mod skill_export;
pub mod translations;
