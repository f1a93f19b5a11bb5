//! Integration tests: one binary, a module per feature.

mod support;

mod bad_input;
mod commands;
mod compute;
mod day2;
mod day2_access;
mod fast_check;
mod hardening;
mod hardening_input;
mod hostile;
mod no_panic;
mod output;
mod parallel;
mod platform;
mod provider_compat;
mod review;
mod scenarios;
mod security;
mod terraform;
