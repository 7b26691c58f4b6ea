//! Project chores, in Rust so that they run wherever cargo does:
//!
//! - `cargo xtask demo`: a local demo cloud and Glimpse on http://127.0.0.1:8080.
//! - `cargo xtask test`: installs what the tests need, lints, builds the UI, runs every test.
//! - `cargo xtask build-ui`: builds the web UI into `target/web`.

mod bench;
mod frontend;
mod schemathesis;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail, ensure};
use clap::{Parser, Subcommand};
use devcloud::cargo;

#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Start a demo cloud (real Keystone + Glance, demo projects, users and images) and
    /// Glimpse on it; Ctrl-C stops both.
    Demo {
        /// Where Glimpse listens.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Keep the demo cloud's state here between runs (default: target/demo-cloud).
        #[arg(long)]
        state_dir: Option<PathBuf>,
    },
    /// Install the test tools, check formatting and lints, build the UI, run every test.
    Test {
        /// Skip `cargo fmt --check` and clippy.
        #[arg(long)]
        no_lint: bool,
        /// Extra arguments for `cargo test` (after `--`), e.g. a test name filter.
        #[arg(last = true)]
        cargo_test_args: Vec<String>,
    },
    /// Benchmarks: `audit` times the access audit against the alternatives; `load` runs
    /// many users through Glimpse and the same calls straight to Glance.
    Bench {
        #[command(subcommand)]
        which: Bench,
    },
    /// Build the web UI into target/web (release: optimised and size-reduced).
    BuildUi {
        #[arg(long)]
        debug: bool,
    },
}

#[derive(Subcommand)]
enum Bench {
    /// Glimpse's access audit vs. raw concurrent fetch, a sequential loop and the CLI.
    Audit {
        /// Image counts to measure, in order (images are added, never removed).
        #[arg(long, value_delimiter = ',', default_value = "200,2000")]
        images: Vec<usize>,
        /// Runs per measurement (the median is reported).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Images timed with the `openstack` CLI, extrapolated to the whole set.
        #[arg(long, default_value_t = 10)]
        cli_sample: usize,
        /// Also time the audit page in Chromium (first rows, whole matrix, scrolling).
        #[arg(long)]
        browser: bool,
    },
    /// N users, each with its own session, through Glimpse for a fixed time, then the
    /// same calls straight to Glance; latency per route, errors, RSS, proxy overhead.
    Load {
        /// Simulated users (each its own session, or its own token when direct).
        #[arg(long, default_value_t = 200)]
        users: usize,
        /// Seconds of load, through Glimpse and then again straight to Glance.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Where the dev cloud's services keep their data: postgres, mariadb or sqlite
        /// (sqlite serves one request at a time per process).
        #[arg(long, default_value_t = devcloud::Database::Postgres)]
        database: devcloud::Database,
        /// uWSGI processes of Glance.
        #[arg(long, default_value_t = 2)]
        glance_processes: u32,
        /// Threads per Glance process, and of Keystone (1 with sqlite).
        #[arg(long, default_value_t = 8)]
        threads: u32,
        /// GLIMPSE_LOG of the server under load (its log: the cloud's state dir).
        #[arg(long, default_value = "warn")]
        glimpse_log: String,
    },
    /// An image copied RegionOne → RegionTwo streamed through Glimpse vs. piped raw with
    /// the same token, alternated: throughput, ratio, Glimpse's peak RSS.
    Copy {
        /// Size of the image, MiB.
        #[arg(long, default_value_t = 1024)]
        mib: u64,
        /// Copies of each kind.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(task: Task) -> Result<()> {
    let root = workspace_root();
    match task {
        Task::Demo { listen, state_dir } => demo(&root, &listen, state_dir),
        Task::Test {
            no_lint,
            cargo_test_args,
        } => test(&root, !no_lint, &cargo_test_args),
        Task::Bench {
            which:
                Bench::Audit {
                    images,
                    runs,
                    cli_sample,
                    browser,
                },
        } => bench::audit::run(
            &root,
            &target_dir(&root),
            &bench::audit::Params {
                sizes: images,
                runs,
                cli_sample,
                browser,
            },
        ),
        Task::Bench {
            which:
                Bench::Load {
                    users,
                    seconds,
                    database,
                    glance_processes,
                    threads,
                    glimpse_log,
                },
        } => {
            let threads = if database == devcloud::Database::Sqlite {
                1
            } else {
                threads
            };
            bench::load::run(
                &root,
                &target_dir(&root),
                &bench::load::Params {
                    users,
                    duration: std::time::Duration::from_secs(seconds),
                    database,
                    glance_processes,
                    glance_threads: threads,
                    keystone_threads: threads,
                    glimpse_log,
                },
            )
        }
        Task::Bench {
            which: Bench::Copy { mib, runs },
        } => bench::copy::run(
            &root,
            &target_dir(&root),
            &bench::copy::Params { mib, runs },
        ),
        Task::BuildUi { debug } => frontend::build(&root, !debug).map(|dir| {
            println!("web UI built in {}", dir.display());
        }),
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

fn run_cmd(cmd: &mut Command, what: &str) -> Result<()> {
    eprintln!("xtask: {what}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start: {what}"))?;
    ensure!(status.success(), "failed: {what}");
    Ok(())
}

// ------------------------------------------------------------------------------------ demo

fn demo(root: &Path, listen: &str, state_dir: Option<PathBuf>) -> Result<()> {
    let web = frontend::build(root, true)?;
    run_cmd(
        cargo()
            .current_dir(root)
            .args(["build", "--release", "-p", "glimpse"]),
        "building the glimpse server",
    )?;

    let state_dir = state_dir.unwrap_or_else(|| target_dir(root).join("demo-cloud"));
    eprintln!(
        "xtask: starting the demo cloud in {} (the first run installs OpenStack into a cached venv: a few minutes)",
        state_dir.display()
    );
    let cloud = devcloud::DevCloud::start(devcloud::Options {
        state_dir: Some(state_dir),
        regions: 2,
        ..devcloud::Options::default()
    })?;
    let images = cloud.seed_demo()?;
    let clouds_yaml = cloud.clouds_yaml_path();

    let mut server = Command::new(target_dir(root).join("release/glimpse"))
        .args(["serve", "--cloud", "glimpse", "--listen", listen])
        .arg("--database")
        .arg(format!(
            "sqlite://{}",
            cloud.state_dir().join("activity.db").display()
        ))
        .arg("--assets-dir")
        .arg(&web)
        .env("OS_CLIENT_CONFIG_FILE", &clouds_yaml)
        .spawn()
        .context("starting glimpse")?;

    let seed = cloud.seed();
    println!();
    println!("Glimpse demo: http://{listen}");
    println!("Keystone: {}", cloud.keystone_url());
    for region in cloud.regions() {
        println!(
            "Glance {region}: {}",
            cloud.glance_url(&region).unwrap_or_default()
        );
    }
    println!(
        "clouds.yaml (for the openstack CLI): {}",
        clouds_yaml.display()
    );
    println!();
    println!("Demo logins (domain Default):");
    for (user, role) in [
        ("alice", "member of project-a"),
        ("bob", "member of project-b"),
        ("carol", "member of project-a and project-c"),
        ("dave", "reader on project-b"),
    ] {
        println!("  {user:<6} / {:<9} {role}", seed.user(user).password);
    }
    println!();
    println!("Demo images: {}", images.len());
    println!("Press Ctrl-C to stop.");

    // Glimpse stops on the same Ctrl-C (same process group); the dev cloud stops when
    // `cloud` is dropped.
    let status = server.wait()?;
    drop(cloud);
    if !status.success() && status.code().is_some() {
        bail!("glimpse exited with {status}");
    }
    Ok(())
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|d| if d.is_absolute() { d } else { root.join(d) })
        .unwrap_or_else(|| root.join("target"))
}

// ------------------------------------------------------------------------------------ test

fn test(root: &Path, lint: bool, extra: &[String]) -> Result<()> {
    // On a new machine, what is downloaded and installed (Debian's packages, the dev cloud's
    // venv, schemathesis) waits mostly on the network and the disk, and what is compiled
    // (wasm-bindgen-cli, the lints) on the CPU: the two go side by side.
    let fetched = std::thread::scope(|scope| -> Result<PathBuf> {
        let fetching = scope.spawn(|| -> Result<PathBuf> {
            ensure_debian_packages()?;
            eprintln!("xtask: preparing the dev cloud's Python venv (cached)");
            let venv = devcloud::ensure_venv()?;
            eprintln!("xtask: venv ready at {}", venv.display());
            schemathesis::ensure(root)
        });
        frontend::ensure_tools()?;
        if lint {
            lint_code(root)?;
        }
        fetching
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    let schemathesis = fetched?;

    if lint {
        // No container engine here: the Dockerfile is checked statically (its settings in
        // .hadolint.yaml); the embedded-UI build it runs is tested in tests/e2e/embedded.rs.
        run_cmd(
            Command::new(schemathesis.with_file_name("hadolint"))
                .current_dir(root)
                .arg("Dockerfile"),
            "hadolint Dockerfile",
        )?;
    }

    let web = frontend::build(root, true)?;
    run_cmd(
        cargo()
            .current_dir(root)
            .args(["test", "--workspace"])
            .args(if extra.is_empty() {
                &[][..]
            } else {
                &["--"][..]
            })
            .args(extra)
            .env("GLIMPSE_ASSETS_DIR", &web)
            .env("GLIMPSE_SCHEMATHESIS", &schemathesis)
            .env("GLIMPSE_AXE_JS", frontend::axe_core()?),
        "cargo test --workspace (unit tests, then the end-to-end suite on a real dev cloud and browser)",
    )
}

/// `cargo fmt --check`, then clippy on the server side and on the web UI (wasm32).
fn lint_code(root: &Path) -> Result<()> {
    run_cmd(
        cargo().current_dir(root).args(["fmt", "--all", "--check"]),
        "cargo fmt --check",
    )?;
    run_cmd(
        cargo().current_dir(root).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
        "cargo clippy (server side)",
    )?;
    run_cmd(
        cargo().current_dir(root).args([
            "clippy",
            "-p",
            "glimpse-frontend",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]),
        "cargo clippy (web UI, wasm32)",
    )
}

/// The browser tests drive Debian's Chromium through chromedriver; the base-path test puts
/// Debian's nginx in front of Glimpse (run by the test as a process of its own on an ephemeral
/// port, never as the system's service).
fn ensure_debian_packages() -> Result<()> {
    let missing: Vec<&str> = [
        ("/usr/bin/chromium", "chromium"),
        ("/usr/bin/chromedriver", "chromium-driver"),
        ("/usr/sbin/nginx", "nginx"),
    ]
    .into_iter()
    .filter(|(path, _)| !Path::new(path).exists())
    .map(|(_, package)| package)
    .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| {
        let mut cmd = Command::new(sudo.first().copied().unwrap_or("apt-get"));
        if !sudo.is_empty() {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run_cmd(&mut apt(&["update", "-q"]), "apt-get update")?;
    run_cmd(
        apt(&["install", "-y", "-q"]).args(&missing),
        &format!("apt-get install {}", missing.join(" ")),
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
