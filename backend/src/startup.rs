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
    /// `GET /metrics` alone, when `metrics_listen` is set.
    metrics_listener: Option<TcpListener>,
    router: axum::Router,
    reconciler: Reconciler,
    state: AppState,
    sessions: Sessions,
}

/// How often expired sessions and idle throttle entries are swept; sooner for short idle
/// times, so that a session is gone from memory soon after it ends.
fn sweep_period(idle: Duration) -> Duration {
    (idle / 2).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

impl Application {
    /// Binds the listener (port 0 picks a free port, as tests do) and wires the state.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let client = openstack::http_client(&HttpSettings {
            connect_timeout: config.connect_timeout,
            timeout: config.timeout,
            ca_pem: config.ca_pem.clone(),
            insecure: config.insecure,
            identity_pem: config.client_identity_pem.clone(),
        })?;
        if config.insecure {
            tracing::warn!(
                "TLS CERTIFICATES OF OPENSTACK ARE NOT CHECKED (verify: false / insecure): anyone between Glimpse and the cloud can read every user's password and token. Use this on a development cloud only; give the cloud's CA with cacert instead."
            );
        }
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        let metrics_listener =
            match config.metrics_listen {
                Some(addr) => Some(TcpListener::bind(addr).await.map_err(|e| {
                    anyhow::anyhow!("cannot listen on {addr} (metrics_listen): {e}")
                })?),
                None => None,
            };
        crate::metrics::handle();
        let activity = ActivityLog::connect(&config.database).await?;
        tracing::info!(store = activity.store(), "activity log ready");
        let sessions =
            Sessions::connect(config.session_store.as_deref(), config.session_key.as_ref()).await?;
        let state = AppState::new(config, client, activity, sessions.clone())?;
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
            metrics_listener,
            router: http::router(state.clone(), sessions.clone()),
            reconciler,
            state,
            sessions,
        })
    }

    /// The session store, as the server sees it (sessions opened); for tests and tools, never
    /// reachable over HTTP.
    pub fn sessions(&self) -> Sessions {
        self.sessions.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener")
    }

    /// Serves until `shutdown`; meanwhile settles the changes a crash left unfinished.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let serve = axum::serve(
            self.listener,
            // The peer address, for `client_addr`.
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown);
        let metrics = async {
            match self.metrics_listener {
                Some(listener) => axum::serve(listener, http::metrics::router()).await,
                None => std::future::pending().await,
            }
        };
        // Copies whose process died are marked failed (the first pass at start-up).
        let copies = self.state.copies.clone();
        tokio::select! {
            served = serve => served?,
            served = metrics => served?,
            () = sweep(self.state, self.sessions) => {}
            () = self.reconciler.run() => {}
            () = copies.keep_recovering() => {}
        }
        Ok(())
    }
}

/// Sweeps, for as long as the server runs.
async fn sweep(state: AppState, sessions: Sessions) {
    let mut every = tokio::time::interval(sweep_period(state.config.session_idle));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = sessions.delete_expired().await {
            tracing::warn!(error = %e, "could not sweep expired sessions");
        }
        state.sweep();
        if let Some(count) = sessions.count() {
            crate::metrics::sessions_active(count);
        }
        // Folds recent samples into the histograms even when nobody scrapes.
        crate::metrics::handle().run_upkeep();
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
