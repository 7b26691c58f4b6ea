//! Glimpse: a self-service web portal for sharing OpenStack images between projects.
//!
//! `openstack` holds the Keystone and Glance clients (no web types), `http` the API that
//! proxies them with each user's own token (no OpenStack wire details), `startup` wires both.
//! The domain lives apart from both: `changes` (every change, recorded in the `activity` log,
//! and the reconciliation of those a crash left unfinished), `audit` (who has access to
//! what), `history` (audits kept as snapshots, and what changed between them),
//! `directory` (names for the projects a user shares with) and `copies` (an image copied to
//! another region). See docs/architecture.md.

pub mod activity;
pub mod audit;
pub mod changes;
pub mod cli;
pub mod clouds;
pub mod config;
pub mod copies;
pub mod directory;
pub mod export;
pub mod history;
pub mod http;
pub mod metrics;
pub mod openstack;
pub mod session_store;
pub mod startup;
pub mod telemetry;
