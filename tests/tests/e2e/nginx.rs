//! Debian's nginx as a real reverse proxy in front of a test's Glimpse: an ordinary process
//! of the test (never the system's service), unprivileged, on an ephemeral port of
//! 127.0.0.1, with its configuration, logs and temporary files in a directory of its own. It
//! stops when dropped, and dies with the test binary (a parent-death signal) if not.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NGINX: &str = "/usr/sbin/nginx";
/// `nobody`: nginx runs as it when the tests run as root.
const NOBODY: u32 = 65534;

pub struct Nginx {
    /// `http://127.0.0.1:<port>`.
    pub origin: String,
    child: Child,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// Proxies `{prefix}/…` to `upstream` as the README's snippet says (the path passed on
    /// as it is, `X-Forwarded-For` and `-Proto` set); anything else is nginx's own 404.
    pub fn start(prefix: &str, upstream: &str) -> Nginx {
        assert!(
            Path::new(NGINX).exists(),
            "{NGINX} is missing: apt-get install nginx (`cargo xtask test` does)"
        );
        let dir = tempfile::Builder::new()
            .prefix("glimpse-nginx-")
            .tempdir()
            .expect("nginx dir");
        let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        if root {
            std::os::unix::fs::chown(dir.path(), Some(NOBODY), Some(NOBODY)).expect("chown");
        }
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/');
        // nginx cannot listen on port 0 and say which it got: a port free a moment ago, and
        // another try should someone have taken it meanwhile.
        for _ in 0..5 {
            let port = free_port();
            let conf = config(dir.path(), port, prefix, upstream);
            let conf_path = dir.path().join("nginx.conf");
            std::fs::write(&conf_path, conf).expect("nginx.conf");
            let mut cmd = Command::new(NGINX);
            cmd.arg("-p")
                .arg(dir.path())
                .arg("-c")
                .arg(&conf_path)
                .arg("-e")
                .arg(dir.path().join("error.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if root {
                cmd.uid(NOBODY).gid(NOBODY);
            }
            let mut child = devcloud::spawn_tied(cmd).expect("nginx starts");
            let started = Instant::now();
            loop {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Nginx {
                        origin: format!("http://127.0.0.1:{port}"),
                        child,
                        dir,
                    };
                }
                if let Ok(Some(status)) = child.try_wait() {
                    eprintln!("nginx exited ({status}): {}", log(dir.path(), "error.log"));
                    break;
                }
                if started.elapsed() > Duration::from_secs(10) {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "nginx did not listen on port {port} within 10 s: {}",
                        log(dir.path(), "error.log")
                    );
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("nginx did not start: {}", log(dir.path(), "error.log"));
    }

    /// What nginx logged of each request it served (one line each: the request line first).
    pub fn access_log(&self) -> String {
        log(self.dir.path(), "access.log")
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One process (no master, no daemon: the test's child is nginx itself), everything it
/// writes in `dir`.
fn config(dir: &Path, port: u16, prefix: &str, upstream: &str) -> String {
    let d = dir.display();
    let mut conf = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 128; }}\n\
         http {{\n\
         \x20 access_log {d}/access.log;\n"
    );
    for temp in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
        let _ = writeln!(conf, "  {temp}_temp_path {d}/{temp};");
    }
    let _ = write!(
        conf,
        "  server {{\n\
         \x20   listen 127.0.0.1:{port};\n\
         \x20   location {prefix}/ {{\n\
         \x20     proxy_pass http://{upstream};\n\
         \x20     proxy_http_version 1.1;\n\
         \x20     proxy_set_header Host $host;\n\
         \x20     proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
         \x20     proxy_set_header X-Forwarded-Proto $scheme;\n\
         \x20     proxy_buffering off;\n\
         \x20     proxy_read_timeout 130s;\n\
         \x20   }}\n\
         \x20   location / {{ return 404 \"not Glimpse\\n\"; }}\n\
         \x20 }}\n\
         }}\n"
    );
    conf
}

fn log(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| format!("({name}: {e})"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a: SocketAddr| a.port())
        .expect("a free port")
}
