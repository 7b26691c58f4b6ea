//! Child processes: one-shot setup commands, and the uWSGI masters of the services,
//! which are spawned from a single long-lived thread with a parent-death signal so that
//! they die with the process that owns the dev cloud even if `Drop` never runs.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Environment variables not passed to the services: a proxy would capture
/// keystonemiddleware's calls to Keystone on 127.0.0.1, and another Python's paths
/// would mix with the venv's.
const UNSET_VARS: &[&str] = &[
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "PYTHONPATH",
    "PYTHONHOME",
];

/// Runs a setup command to completion, appending its output to `log`; on failure the
/// error holds the last lines of the log.
pub(crate) fn run_logged(mut cmd: Command, log: &Path) -> Result<()> {
    let out = open_log(log)?;
    let err = out.try_clone()?;
    let shown = format!("{cmd:?}");
    for var in UNSET_VARS {
        cmd.env_remove(var);
    }
    let status = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .with_context(|| format!("running {shown}"))?;
    if !status.success() {
        bail!(
            "{shown} failed ({status}); last lines of {}:\n{}",
            log.display(),
            log_tail(log, 30)
        );
    }
    Ok(())
}

pub(crate) fn open_log(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

/// The last `lines` lines of a log file (at most its last 64 KiB), or a note that it
/// cannot be read.
pub fn log_tail(path: &Path, lines: usize) -> String {
    let read = || -> io::Result<String> {
        let mut f = File::open(path)?;
        let len = f.metadata()?.len();
        f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)))?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf)?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    };
    match read() {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("({} unreadable: {e})", path.display()),
    }
}

struct SpawnRequest {
    cmd: Command,
    reply: mpsc::Sender<io::Result<Child>>,
}

/// The channel to the spawner thread, started on first use. The thread lives as long as
/// the process (it blocks on a channel whose sender is in this static), which matters:
/// `PR_SET_PDEATHSIG` fires when the *thread* that forked the child ends, and test
/// harness threads come and go.
fn spawner() -> &'static mpsc::Sender<SpawnRequest> {
    static SPAWNER: OnceLock<mpsc::Sender<SpawnRequest>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("devcloud-spawner".into())
            .spawn(move || {
                for req in rx {
                    let _ = req.reply.send(spawn_with_death_signal(req.cmd));
                }
            })
            .expect("cannot start the devcloud spawner thread");
        tx
    })
}

/// Spawns `cmd` from the spawner thread so that it receives SIGTERM when this process ends,
/// even if nothing stops it (a test's own helper process, such as a reverse proxy).
pub fn spawn_tied(cmd: Command) -> io::Result<Child> {
    let (reply, answer) = mpsc::channel();
    let gone = || io::Error::other("the devcloud spawner thread is gone");
    spawner()
        .send(SpawnRequest { cmd, reply })
        .map_err(|_| gone())?;
    answer.recv().map_err(|_| gone())?
}

/// Spawns `cmd` so that it receives SIGTERM when this process ends.
#[allow(unsafe_code)]
fn spawn_with_death_signal(mut cmd: Command) -> io::Result<Child> {
    use std::os::unix::process::CommandExt;
    let parent = nix::unistd::getpid();
    // SAFETY: the closure runs in the forked child before exec. It only makes
    // async-signal-safe system calls (prctl, getppid) and allocates nothing, not even
    // on its error paths (io::Error from an errno is not boxed).
    unsafe {
        cmd.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)?;
            // The parent may have died between fork and prctl: then no signal would come.
            if nix::unistd::getppid() != parent {
                return Err(nix::errno::Errno::ESRCH.into());
            }
            Ok(())
        });
    }
    cmd.spawn()
}

/// A uWSGI master this dev cloud started.
pub(crate) struct Proc {
    child: Child,
    pidfile: PathBuf,
    paused: bool,
}

/// How to launch one service under uWSGI.
pub(crate) struct Launch<'a> {
    pub venv: &'a Path,
    pub port: u16,
    pub pidfile: &'a Path,
    pub log: &'a Path,
    pub cwd: &'a Path,
    /// e.g. `("OS_GLANCE_CONFIG_DIR", dir)`.
    pub env: (&'a str, &'a Path),
    pub module: &'a str,
    pub processes: u32,
    pub threads: u32,
}

impl Proc {
    /// Starts uWSGI with the flags Glance 33 needs (they suit Keystone too).
    pub(crate) fn launch(l: &Launch<'_>) -> Result<Proc> {
        if let Err(e) = std::net::TcpListener::bind(("127.0.0.1", l.port)) {
            bail!("port 127.0.0.1:{} is not free: {e}", l.port);
        }
        let _ = fs::remove_file(l.pidfile);
        let out = open_log(l.log)?;
        let err = out.try_clone()?;
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new(l.venv.join("bin").join("uwsgi"));
        cmd.arg("--http-socket")
            .arg(format!("127.0.0.1:{}", l.port))
            // Without it clients see connection resets on reused connections.
            .args(["--add-header", "Connection: close"])
            // uWSGI's default backlog is 100: under load the kernel then drops
            // connection attempts, which clients retry after 1, 2, 4, 8… s, so a request
            // that Glance serves in 20 ms waits 30 s (measured by `cargo xtask bench
            // load`: ListenOverflows in /proc/net/netstat, "listen queue full" in the
            // uWSGI log). A deep queue makes waiting first-come, first-served instead.
            .arg("--listen")
            .arg(listen_backlog().to_string())
            .args([
                "--master",
                "--die-on-term",
                "--no-orphans",
                "--need-app",
                "--lazy-apps",
                "--enable-threads",
                "--thunder-lock",
                "--buffer-size",
                "65535",
                "--http-auto-chunked",
                "--http-raw-body",
                "--http-chunked-input",
            ])
            .arg("--home")
            .arg(l.venv)
            .arg("--pidfile")
            .arg(l.pidfile)
            .arg("--processes")
            .arg(l.processes.to_string())
            .arg("--threads")
            .arg(l.threads.to_string())
            .arg("--module")
            .arg(l.module)
            .env(l.env.0, l.env.1)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .current_dir(l.cwd)
            // Its own process group: a Ctrl-C in the terminal reaches only the owner,
            // which then stops the services in order.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for var in UNSET_VARS {
            cmd.env_remove(var);
        }
        let (reply, answer) = mpsc::channel();
        spawner()
            .send(SpawnRequest { cmd, reply })
            .map_err(|_| anyhow::anyhow!("the devcloud spawner thread is gone"))?;
        let child = answer
            .recv()
            .context("the devcloud spawner thread is gone")?
            .context("spawning uwsgi")?;
        Ok(Proc {
            child,
            pidfile: l.pidfile.to_path_buf(),
            paused: false,
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `None` while running, else how it ended.
    pub(crate) fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(None) => None,
            Ok(Some(status)) => Some(status.to_string()),
            Err(e) => Some(format!("unknown state: {e}")),
        }
    }

    /// The master and its workers. The master is ours by construction: it is our
    /// child and not yet reaped, so its PID cannot have been reused. Workers are
    /// checked with [`ours`].
    pub(crate) fn pids(&mut self) -> Vec<u32> {
        if self.exited().is_some() {
            return Vec::new();
        }
        let master = self.pid();
        let mut pids = vec![master];
        pids.extend(
            children(master)
                .into_iter()
                .filter(|&p| ours(p, &self.pidfile)),
        );
        pids
    }

    /// SIGSTOP (or SIGCONT) the master and its workers: the kernel still accepts
    /// connections on the listening socket, but nobody answers them.
    pub(crate) fn set_paused(&mut self, paused: bool) -> Result<()> {
        let pids = self.pids();
        if pids.is_empty() {
            bail!("not running");
        }
        let sig = if paused {
            Signal::SIGSTOP
        } else {
            Signal::SIGCONT
        };
        for pid in pids {
            // A worker may have just gone; the master is checked by pids().
            let _ = kill(Pid::from_raw(pid as i32), sig);
        }
        self.paused = paused;
        Ok(())
    }

    /// SIGTERM (uWSGI `--die-on-term` shuts down), wait, SIGKILL after `grace`; then
    /// SIGKILL any worker of ours that outlived its master.
    pub(crate) fn stop(mut self, grace: Duration) -> Result<()> {
        let pids = self.pids();
        if pids.is_empty() {
            return Ok(());
        }
        let master = Pid::from_raw(pids[0] as i32);
        let _ = kill(master, Signal::SIGTERM);
        if self.paused {
            for &pid in &pids {
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGCONT);
            }
        }
        let deadline = Instant::now() + grace;
        while self.exited().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if self.exited().is_none() {
            tracing::warn!(
                "uwsgi {} ignored SIGTERM for {grace:?}; SIGKILL",
                self.pidfile.display()
            );
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // Workers notice their master's death (--no-orphans) but may lag behind.
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let left: Vec<u32> = pids[1..]
                .iter()
                .copied()
                .filter(|&p| ours(p, &self.pidfile))
                .collect();
            if left.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                for p in left {
                    let _ = kill(Pid::from_raw(p as i32), Signal::SIGKILL);
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = fs::remove_file(&self.pidfile);
        Ok(())
    }
}

/// The accept queue asked of uWSGI: deep, within the kernel's `net.core.somaxconn`
/// (uWSGI refuses to start above it).
fn listen_backlog() -> u32 {
    let max = fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(128);
    max.min(4096)
}

/// Whether `pid` is a live uWSGI process started with `--pidfile <pidfile>`, i.e. one of
/// ours (the recipe's `ours()`): a zombie's cmdline is empty, so it does not count.
pub(crate) fn ours(pid: u32, pidfile: &Path) -> bool {
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let want = pidfile.as_os_str().as_encoded_bytes();
    let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
    args.windows(2)
        .any(|w| w[0] == b"--pidfile".as_slice() && w[1] == want)
}

/// Direct children of `pid`, from `/proc/PID/task/*/children`.
fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        if let Ok(text) = fs::read_to_string(task.path().join("children")) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    out
}

/// Every live process whose command line names `pidfile` (for leak checks).
pub(crate) fn processes_naming(pidfile: &Path) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| ours(pid, pidfile))
        .collect()
}

/// Free TCP ports on 127.0.0.1, all distinct (the kernel picks them; they are released
/// before return, so a race with another program is possible but unlikely).
pub(crate) fn free_ports(n: usize) -> Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| std::net::TcpListener::bind(("127.0.0.1", 0)))
        .collect::<io::Result<Vec<_>>>()
        .context("binding 127.0.0.1:0 to find a free port")?;
    listeners
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_last_lines() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("x.log");
        fs::write(&p, "a\nb\nc\nd\n").unwrap();
        assert_eq!(log_tail(&p, 2), "c\nd");
        assert_eq!(log_tail(&p, 10), "a\nb\nc\nd");
        assert!(log_tail(&tmp.path().join("none"), 3).contains("unreadable"));
    }

    #[test]
    fn ours_needs_the_pidfile_argument() {
        assert!(!ours(std::process::id(), Path::new("/nonexistent/x.pid")));
        assert!(!ours(u32::MAX, Path::new("/nonexistent/x.pid")));
    }

    #[test]
    fn the_backlog_is_deep_and_allowed() {
        let backlog = listen_backlog();
        assert!((1..=4096).contains(&backlog));
        if let Ok(max) = fs::read_to_string("/proc/sys/net/core/somaxconn") {
            assert!(backlog <= max.trim().parse::<u32>().unwrap());
        }
    }

    #[test]
    fn free_ports_are_distinct() {
        let ports = free_ports(3).unwrap();
        assert_eq!(ports.len(), 3);
        assert!(ports[0] != ports[1] && ports[1] != ports[2] && ports[0] != ports[2]);
    }

    #[test]
    fn spawned_children_run_from_the_spawner_thread() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("out.log");
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo ok"]).stdout(open_log(&log).unwrap());
        let (reply, answer) = mpsc::channel();
        spawner().send(SpawnRequest { cmd, reply }).unwrap();
        let mut child = answer.recv().unwrap().unwrap();
        assert!(child.wait().unwrap().success());
        assert_eq!(fs::read_to_string(&log).unwrap().trim(), "ok");
    }
}
