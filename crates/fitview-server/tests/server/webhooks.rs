//! Webhooks over real sockets: a receiver on loopback gets signed deliveries of try-on events,
//! retried, disabled by 410, refused for private addresses, kept across a restart.

mod delivery;
mod endpoints;
mod receiver;
mod signature;
mod support;
