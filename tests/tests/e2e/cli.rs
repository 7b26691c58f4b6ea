//! The real `openstack` CLI of the dev cloud's venv, as the image-sharing guide's readers run it.

use crate::harness::cloud;

/// Runs `openstack --os-cloud WHICH ARGS…` with the dev cloud's clouds.yaml; returns its
/// standard output (the test fails if the command does).
pub async fn openstack(which: &str, args: &[&str]) -> String {
    let os_cloud = which.to_owned();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        let cloud = cloud();
        std::process::Command::new(cloud.venv().join("bin/openstack"))
            .env("OS_CLIENT_CONFIG_FILE", cloud.clouds_yaml_path())
            .arg("--os-cloud")
            .arg(&os_cloud)
            .args(&args)
            .output()
            .expect("the openstack CLI runs")
    })
    .await
    .expect("join");
    assert!(
        out.status.success(),
        "openstack --os-cloud {which}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
