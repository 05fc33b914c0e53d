//! `compel serve`: continuous evaluation. The pure parts (the exposition,
//! the status document, the decision log's lines, revision hashes) live
//! here beside a minimal HTTP server; the loop, the sources and the signals
//! are in `cli::serve`.

pub mod exposition;
pub mod http;
pub mod status;
