//! Glimpse end to end: the real server against a real Keystone and Glance (and, for the UI,
//! a real browser). One test binary, one dev cloud shared by every test.

mod cli;
mod fakes;
mod harness;
mod nginx;

mod accounts;
mod audit;
mod audit_bounds;
mod base_path;
mod browser;
mod cookies;
mod copies;
mod crash;
mod directory;
mod embedded;
mod events;
mod fan_out;
mod faults;
mod flow;
mod fuzz;
mod history;
mod idle;
mod inbox_memory;
mod members;
mod metrics;
mod mfa;
mod replicas;
mod sealed_sessions;
mod security;
mod session;
mod sign_out;
mod throttle;
mod ui;
mod ui_accounts;
mod ui_audit;
mod ui_copies;
mod ui_history;
mod ui_i18n;
mod ui_mfa;
