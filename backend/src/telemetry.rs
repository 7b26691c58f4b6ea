//! Logging to stderr: `RUST_LOG`-style filtering (`GLIMPSE_LOG` wins), human-readable or JSON
//! lines.

use tracing_subscriber::EnvFilter;

pub fn init(json: bool) {
    let filter = std::env::var("GLIMPSE_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
