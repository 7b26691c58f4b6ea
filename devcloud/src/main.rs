//! `devcloud start`: a dev cloud in the foreground until Ctrl-C, for manual use.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use nix::sys::signal::{SigSet, Signal};

#[derive(Parser)]
#[command(about = "A real Keystone + Glance on 127.0.0.1 for Glimpse")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a dev cloud and keep it running until Ctrl-C (or SIGTERM).
    Start {
        /// Keep configuration, databases and images here (reused next time);
        /// default: a temporary directory, removed at exit.
        #[arg(long)]
        state_dir: Option<PathBuf>,
        /// 1 (RegionOne) or 2 (RegionOne and RegionTwo).
        #[arg(long, default_value_t = 1)]
        regions: usize,
        /// Keystone port (default: a free one); needs --glance-port too.
        #[arg(long, requires = "glance_port")]
        keystone_port: Option<u16>,
        /// Glance port of RegionOne; RegionTwo gets the next one.
        #[arg(long, requires = "keystone_port")]
        glance_port: Option<u16>,
        /// Create the demo images and memberships.
        #[arg(long)]
        demo: bool,
        /// Keystone's default bcrypt cost (slow logins) instead of the fast one.
        #[arg(long)]
        slow_hash: bool,
        /// Where the services keep their data: sqlite (files in the state dir), or
        /// fresh databases on this machine's postgres (127.0.0.1:5432) or mariadb
        /// (127.0.0.1:3306), dropped at exit.
        #[arg(long, default_value_t = devcloud::Database::Sqlite)]
        database: devcloud::Database,
        /// uWSGI worker processes of each Glance.
        #[arg(long, default_value_t = 1)]
        glance_processes: u32,
        /// Threads per Glance process (more than 1 needs --database postgres|mariadb).
        #[arg(long, default_value_t = 1)]
        glance_threads: u32,
        /// Threads of the Keystone process (more than 1 needs a server database).
        #[arg(long, default_value_t = 1)]
        keystone_threads: u32,
        /// Debug logging in the services.
        #[arg(long)]
        debug: bool,
    },
    /// Only make sure the cached Python venv is installed; print its path.
    Venv,
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Venv => {
            println!("{}", devcloud::ensure_venv()?.display());
            Ok(())
        }
        Command::Start {
            state_dir,
            regions,
            keystone_port,
            glance_port,
            demo,
            slow_hash,
            database,
            glance_processes,
            glance_threads,
            keystone_threads,
            debug,
        } => {
            // Block the stop signals before any thread exists, so every thread inherits
            // the mask and sigwait below receives them (the services get a clean mask).
            let mut signals = SigSet::empty();
            signals.add(Signal::SIGINT);
            signals.add(Signal::SIGTERM);
            signals.add(Signal::SIGHUP);
            signals.thread_block()?;
            let ports = match (keystone_port, glance_port) {
                (Some(k), Some(g)) => devcloud::Ports::Fixed {
                    keystone: k,
                    glance: [g, g.wrapping_add(1)],
                },
                _ => devcloud::Ports::Free,
            };
            let cloud = devcloud::DevCloud::start(devcloud::Options {
                state_dir,
                regions,
                ports,
                fast_hash: !slow_hash,
                database,
                glance_processes,
                glance_threads,
                keystone_threads,
                debug,
                ..devcloud::Options::default()
            })?;
            if demo {
                cloud.seed_demo()?;
            }
            println!("keystone: {}", cloud.keystone_url());
            for (region, url) in &cloud.seed().regions {
                println!("glance {region}: {url}");
            }
            println!("clouds.yaml: {}", cloud.clouds_yaml_path().display());
            println!("ids: {}", cloud.state_dir().join("ids.json").display());
            println!("logs: {}", cloud.state_dir().join("logs").display());
            println!(
                "try: OS_CLIENT_CONFIG_FILE={} {}/bin/openstack --os-cloud alice-a image list",
                cloud.clouds_yaml_path().display(),
                cloud.venv().display()
            );
            println!("users: alice/alicepw bob/bobpw carol/carolpw dave/davepw admin/adminpw");
            let erin = cloud.seed().user("erin");
            println!(
                "MFA user: erin/erinpw + TOTP (base32 secret {}; passcode now {})",
                erin.totp_secret.as_deref().unwrap_or_default(),
                erin.passcode()?
            );
            for (region, image) in &cloud.seed().images {
                println!(
                    "image {region}: {} {} ({} bytes, sha512 {})",
                    image.name, image.id, image.size, image.sha512
                );
            }
            println!("Ctrl-C stops the dev cloud.");
            let signal = signals.wait()?;
            eprintln!("{signal}: stopping the dev cloud");
            drop(cloud);
            Ok(())
        }
    }
}
