use clap::Parser;
use glimpse::cli::{Cli, Command};
use glimpse::config::{Config, Settings};
use glimpse::startup::{Application, shutdown_signal};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            glimpse::telemetry::init(args.log_json);
            let settings = Settings::load(args.config.as_deref(), &args)?;
            let config = Config::resolve(settings)?;
            let base_path = config.base_path.clone();
            let app = Application::build(config).await?;
            tracing::info!("Glimpse listening on http://{}", app.local_addr());
            if !base_path.is_empty() {
                tracing::info!("serving under {base_path}/ (the probes also at the root)");
            }
            app.run_until(shutdown_signal()).await
        }
        Command::Healthcheck { url } => {
            let answer = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(5))
                .build()?
                .get(&url)
                .send()
                .await?;
            anyhow::ensure!(
                answer.status().is_success(),
                "{url} answered {}",
                answer.status()
            );
            Ok(())
        }
    }
}
