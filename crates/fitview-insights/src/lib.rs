//! Shop insights as pure logic over plain data, with no SQL and no HTTP: the server feeds these
//! functions and stores what they produce, so their maths is tested on small hand-made cases and
//! benchmarked alone.
//!
//! - [`recommend`]: the size a shopper should buy (size chart, how the article really fits, what
//!   the shopper kept and returned) and what to try on next (content and co-occurrence).
//! - [`simulate`]: a shop with a hidden truth, and the evaluation of the recommenders against it.
pub mod recommend;
pub mod simulate;
