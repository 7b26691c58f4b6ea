//! The command line: `glimpse serve`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use serde::Serialize;

#[derive(Parser)]
#[command(
    name = "glimpse",
    version,
    about = "Share OpenStack images between projects, in a browser."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the web UI and the REST API.
    Serve(ServeArgs),
    /// Exit 0 when a running Glimpse answers its health check (for a container's HEALTHCHECK,
    /// which has no curl in the image).
    Healthcheck {
        /// The health endpoint to ask.
        #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
        url: String,
    },
}

/// Flags of `serve`; each one set overrides the config file and the environment.
#[derive(clap::Args, Serialize)]
pub struct ServeArgs {
    /// TOML config file (default: ./glimpse.toml when present).
    #[arg(long, short)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Cloud name in clouds.yaml (OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/, /etc/openstack/).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    /// Keystone URL, instead of a clouds.yaml entry.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Region shown first.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_name: Option<String>,
    /// Directory of the built web UI (index.html, assets/).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assets_dir: Option<PathBuf>,
    /// Activity log: a SQLite file (sqlite://path) or postgres://… shared by replicas.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// Session store shared by replicas (redis://…); in memory when unset.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_store: Option<String>,
    /// Log JSON lines instead of text.
    #[arg(long)]
    #[serde(skip)]
    pub log_json: bool,
}
