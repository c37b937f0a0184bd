//! qworker's engine, `src/core/`, compiled on its own with loom's primitives (see
//! `src/core/sync.rs`), so its loom models run without Qt:
//! `cargo test -p qworker-core-loom loom_models`. Nothing else lives here.

// The engine's items are used by qworker's Qt layer, not here.
#![allow(dead_code, unused_imports, unreachable_pub)]

#[path = "../src/core/mod.rs"]
mod core;
