//! Builds the application from its configuration and serves it until asked to stop.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::activity::ActivityLog;
use crate::config::Config;
use crate::http::{self, AppState};
use crate::openstack::{self, HttpSettings};
use crate::session_store::Sessions;

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
}

impl Application {
    /// Binds the listener (port 0 picks a free port, as tests do) and wires the state.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let client = openstack::http_client(&HttpSettings {
            connect_timeout: config.connect_timeout,
            timeout: config.timeout,
            ca_pem: config.ca_pem.clone(),
            insecure: config.insecure,
        })?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        let activity = ActivityLog::connect(&config.database).await?;
        tracing::info!(store = activity.store(), "activity log ready");
        let sessions = Sessions::connect(config.session_store.as_deref()).await?;
        let state = AppState::new(config, client, activity)?;
        Ok(Self {
            listener,
            router: http::router(state, sessions),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener")
    }

    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
