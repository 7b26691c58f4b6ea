//! Builds the application from its configuration and serves it until asked to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::activity::ActivityLog;
use crate::changes::reconcile::Reconciler;
use crate::config::Config;
use crate::http::{self, AppState};
use crate::openstack::{self, HttpSettings};
use crate::session_store::Sessions;

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    reconciler: Reconciler,
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
        let reconciler = Reconciler {
            log: state.activity.clone(),
            keystone: state.keystone.clone(),
            http: state.http.clone(),
            credential: state.config.reconcile_credential.clone(),
            interface: state.config.interface.clone(),
            // An intent is in flight for at most one Glance call and the outcome's write.
            grace: 2 * state.config.timeout + Duration::from_secs(10),
        };
        if reconciler.credential.is_none() {
            tracing::info!(
                "no reconcile_credential: changes a crash leaves unfinished will be marked interrupted"
            );
        }
        Ok(Self {
            listener,
            router: http::router(state, sessions),
            reconciler,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener")
    }

    /// Serves until `shutdown`; meanwhile settles the changes a crash left unfinished.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let reconciling = tokio::spawn(self.reconciler.run());
        let served = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await;
        reconciling.abort();
        Ok(served?)
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
