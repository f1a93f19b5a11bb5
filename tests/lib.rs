//! Integration tests: one binary, a module per feature.

mod support;

mod bad_input;
mod output;
mod terraform;
