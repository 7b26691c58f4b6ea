//! Glimpse end to end: the real server against a real Keystone and Glance (and, for the UI,
//! a real browser). One test binary, one dev cloud shared by every test.

mod harness;

mod activity_store;
mod audit;
mod browser;
mod cookies;
mod events;
mod faults;
mod flow;
mod idle;
mod members;
mod replicas;
mod sealed_sessions;
mod session;
mod sign_out;
mod throttle;
mod ui;
mod ui_audit;
