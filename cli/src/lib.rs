//! The subcommands of `webhooks`, as a library so the tests drive them as a user does.

pub mod self_check;
