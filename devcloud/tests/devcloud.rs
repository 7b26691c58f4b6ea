//! Starts real dev clouds (needs the cached venv, or network to PyPI to build it).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use devcloud::{DevCloud, ImageOptions, Options, Service};
use serde_json::json;

/// The machine has 2 cores: one dev cloud at a time keeps the timings meaningful.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn two_regions_share_stop_restart_pause_and_clean_up() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let t0 = Instant::now();
    let cloud = DevCloud::start(Options {
        regions: 2,
        ..Options::default()
    })?;
    eprintln!(
        "DevCloud::start with 2 regions took {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let seed = cloud.seed().clone();
    let state_dir = cloud.state_dir().to_path_buf();
    assert_eq!(cloud.regions(), ["RegionOne", "RegionTwo"]);
    assert_eq!(seed.keystone_url, cloud.keystone_url());
    for p in ["admin", "service", "project-a", "project-b", "project-c"] {
        assert!(seed.projects.contains_key(p), "project {p} seeded");
    }
    for u in ["admin", "alice", "bob", "carol", "dave", "glance"] {
        assert!(seed.users.contains_key(u), "user {u} seeded");
    }
    let ids: devcloud::Seed =
        serde_json::from_str(&std::fs::read_to_string(state_dir.join("ids.json"))?)?;
    assert_eq!(ids, seed);
    let clouds = std::fs::read_to_string(cloud.clouds_yaml_path())?;
    assert!(clouds.contains("carol-c:") && clouds.contains("glimpse:"));

    // Both Glances answer an authenticated image list.
    let alice = cloud.token("alice", "alicepw", "project-a")?;
    for region in ["RegionOne", "RegionTwo"] {
        let (status, body) = cloud.glance_request(region, &alice, "GET", "/v2/images", None)?;
        assert_eq!(status, 200, "{region}: {body}");
        assert!(body["images"].is_array(), "{region}: {body}");
    }
    // Wrong credentials are refused.
    assert!(cloud.token("alice", "wrong", "project-a").is_err());

    seeded_images_carry_real_data(&cloud)?;
    erin_needs_a_password_and_a_passcode(&cloud)?;
    region_two_imports_from_region_one_by_glance_download(&cloud)?;

    // Alice creates a private image and shares it with project-b.
    let r1 = "RegionOne";
    let id = cloud.create_image(
        r1,
        &alice,
        "devcloud-test",
        &ImageOptions {
            visibility: Some("private"),
            upload: Some(b"not really a disk"),
            ..ImageOptions::default()
        },
    )?;
    let (status, image) =
        cloud.glance_request(r1, &alice, "GET", &format!("/v2/images/{id}"), None)?;
    assert_eq!(status, 200);
    assert_eq!(image["status"], "active", "{image}");
    assert_eq!(image["visibility"], "private");
    assert_eq!(image["owner"], seed.project("project-a"));
    let (status, image) = cloud.glance_request(
        r1,
        &alice,
        "PATCH",
        &format!("/v2/images/{id}"),
        Some(&json!([{"op": "replace", "path": "/visibility", "value": "shared"}])),
    )?;
    assert_eq!(status, 200, "{image}");
    assert_eq!(image["visibility"], "shared");
    let project_b = seed.project("project-b");
    let members = format!("/v2/images/{id}/members");
    let (status, member) = cloud.glance_request(
        r1,
        &alice,
        "POST",
        &members,
        Some(&json!({"member": project_b})),
    )?;
    assert_eq!(status, 200, "{member}");
    assert_eq!(member["status"], "pending");
    let bob = cloud.user_token("bob", "project-b")?;
    let (status, list) = cloud.glance_request(
        r1,
        &bob,
        "GET",
        "/v2/images?visibility=shared&member_status=pending",
        None,
    )?;
    assert_eq!(status, 200);
    assert!(
        list["images"]
            .as_array()
            .is_some_and(|a| a.iter().any(|i| i["id"] == id.as_str())),
        "bob sees the pending image: {list}"
    );

    // The demo data, twice: the second call finds everything.
    let demo = cloud.seed_demo()?;
    assert_eq!(demo.len(), 7, "{demo:?}");
    assert_eq!(cloud.seed_demo()?, demo);
    let ubuntu = demo
        .iter()
        .find(|d| d.name == "ubuntu-24.04")
        .context("ubuntu")?;
    let (status, list) = cloud.glance_request(
        r1,
        &alice,
        "GET",
        &format!("/v2/images/{}/members", ubuntu.id),
        None,
    )?;
    assert_eq!(status, 200, "{list}");
    let statuses: Vec<(String, String)> = list["members"]
        .as_array()
        .context("members")?
        .iter()
        .map(|m| {
            (
                m["member_id"].as_str().unwrap_or_default().to_string(),
                m["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        statuses.contains(&(project_b.to_string(), "accepted".to_string())),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&(
            seed.project("project-c").to_string(),
            "rejected".to_string()
        )),
        "{statuses:?}"
    );
    let r2: Vec<&str> = demo
        .iter()
        .filter(|d| d.region == "RegionTwo")
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(r2, ["pfsense-r2", "alpine-r2"]);

    // Stop and restart RegionOne's Glance: same port, same database.
    let g1 = Service::glance(r1);
    let url_before = cloud.glance_url(r1).map(String::from);
    cloud.stop_service(&g1)?;
    let down =
        cloud.glance_request_timeout(r1, &alice, "GET", &members, None, Duration::from_secs(2));
    assert!(down.is_err(), "stopped Glance answered: {down:?}");
    let (status, _) = cloud.glance_request("RegionTwo", &alice, "GET", "/v2/images", None)?;
    assert_eq!(status, 200, "RegionTwo is unaffected");
    let t = Instant::now();
    cloud.start_service(&g1)?;
    eprintln!("restarting {g1} took {:.1} s", t.elapsed().as_secs_f64());
    assert_eq!(cloud.glance_url(r1).map(String::from), url_before);
    let (status, list) = cloud.glance_request(r1, &alice, "GET", &members, None)?;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["members"][0]["member_id"], project_b);

    // Pause: connections are accepted but never answered, so requests time out.
    cloud.pause_service(&g1)?;
    let t = Instant::now();
    let paused =
        cloud.glance_request_timeout(r1, &alice, "GET", &members, None, Duration::from_secs(2));
    let waited = t.elapsed();
    assert!(paused.is_err(), "paused Glance answered: {paused:?}");
    assert!(
        waited >= Duration::from_millis(1900),
        "failed after {waited:?}, not by timeout"
    );
    cloud.resume_service(&g1)?;
    let (status, _) =
        cloud.glance_request_timeout(r1, &alice, "GET", &members, None, Duration::from_secs(10))?;
    assert_eq!(status, 200);

    // Keystone too: down means no tokens; back up, the old token still works (same keys).
    cloud.stop_service(&Service::Keystone)?;
    assert!(cloud.token("bob", "bobpw", "project-b").is_err());
    cloud.start_service(&Service::Keystone)?;
    cloud.token("bob", "bobpw", "project-b")?;
    let (status, _) = cloud.glance_request(r1, &bob, "GET", "/v2/images", None)?;
    assert_eq!(status, 200);

    // Dropping stops every process and removes the temporary state dir.
    let pids = cloud.pids();
    assert!(pids.len() >= 3, "masters and workers: {pids:?}");
    let t = Instant::now();
    drop(cloud);
    eprintln!("drop took {:.1} s", t.elapsed().as_secs_f64());
    assert_eq!(devcloud::processes_of(&state_dir), Vec::<u32>::new());
    for pid in pids {
        assert!(!names(pid, &state_dir), "uwsgi {pid} survived the drop");
    }
    assert!(!state_dir.exists(), "{} left behind", state_dir.display());
    Ok(())
}

/// The services die with their owner even when `Drop` never runs: the owner here is the
/// `devcloud` binary, killed with SIGKILL.
#[test]
fn services_die_with_their_owner() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let state = tempfile::tempdir()?;
    let mut owner = Command::new(env!("CARGO_BIN_EXE_devcloud"))
        .args(["start", "--state-dir"])
        .arg(state.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = owner.stdout.take().context("no stdout")?;
    let mut ready = false;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if line.starts_with("Ctrl-C stops") {
            ready = true;
            break;
        }
    }
    ensure!(ready, "devcloud start ended early: {:?}", owner.wait()?);
    let state_dir = state.path().canonicalize()?;
    let pids = devcloud::processes_of(&state_dir);
    assert!(pids.len() >= 2, "keystone and glance run: {pids:?}");
    owner.kill()?;
    owner.wait()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !devcloud::processes_of(&state_dir).is_empty() {
        ensure!(
            Instant::now() < deadline,
            "uwsgi processes outlived their owner: {:?}",
            devcloud::processes_of(&state_dir)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The given state dir is kept and starts again (new ports, same data).
    let cloud = DevCloud::start(Options {
        state_dir: Some(state_dir.clone()),
        ..Options::default()
    })?;
    let alice = cloud.user_token("alice", "project-a")?;
    let (status, body) = cloud.glance_request("RegionOne", &alice, "GET", "/v2/images", None)?;
    assert_eq!(status, 200, "{body}");
    drop(cloud);
    assert!(state_dir.join("keystone").join("keystone.db").is_file());
    assert_eq!(devcloud::processes_of(&state_dir), Vec::<u32>::new());
    Ok(())
}

/// Each region holds the seeded qcow2 image, active, with the file's SHA-512; large
/// images come from a sparse file and hash as Glance computes it.
fn seeded_images_carry_real_data(cloud: &DevCloud) -> Result<()> {
    let disk = devcloud::small_disk_image()?;
    let alice = cloud.user_token("alice", "project-a")?;
    for region in cloud.regions() {
        let seeded = &cloud.seed().images[&region];
        assert_eq!(seeded.name, devcloud::SEEDED_IMAGE);
        assert_eq!(seeded.sha512, disk.sha512);
        let (status, image) = cloud.glance_request(
            &region,
            &alice,
            "GET",
            &format!("/v2/images/{}", seeded.id),
            None,
        )?;
        assert_eq!(status, 200, "{image}");
        assert_eq!(image["status"], "active", "{image}");
        assert_eq!(image["disk_format"], "qcow2");
        assert_eq!(image["os_hash_algo"], "sha512");
        assert_eq!(image["os_hash_value"], seeded.sha512.as_str());
        assert_eq!(image["size"], seeded.size);
        assert_eq!(image["owner"], cloud.seed().project("project-a"));
        assert!(
            image["virtual_size"].as_u64() > image["size"].as_u64(),
            "a qcow2's virtual size exceeds its file: {image}"
        );
    }
    let (id, big) = cloud.create_large_image("RegionOne", &alice, "devcloud-big", 8 << 20)?;
    assert_eq!(big.size, 8 << 20);
    let (status, image) = cloud.glance_request(
        "RegionOne",
        &alice,
        "GET",
        &format!("/v2/images/{id}"),
        None,
    )?;
    assert_eq!(status, 200);
    assert_eq!(image["os_hash_value"], big.sha512.as_str(), "{image}");
    assert_eq!(image["size"], 8 << 20);
    Ok(())
}

/// Keystone's MFA rules for erin: a password alone gets 401 and a receipt; the receipt
/// and a passcode from the seed's secret get a token; a wrong passcode does not.
fn erin_needs_a_password_and_a_passcode(cloud: &DevCloud) -> Result<()> {
    let erin = cloud.seed().user("erin");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}/auth/tokens", cloud.keystone_url());
    let scope = json!({"project": {"name": "project-a", "domain": {"id": "default"}}});
    let password = json!({"user": {"name": "erin", "domain": {"id": "default"},
                                   "password": erin.password}});
    let post = |receipt: Option<&str>, body: serde_json::Value| -> Result<_> {
        let mut req = agent.post(&url).header("Content-Type", "application/json");
        if let Some(r) = receipt {
            req = req.header("Openstack-Auth-Receipt", r);
        }
        let mut resp = req.send(body.to_string())?;
        let receipt = resp
            .headers()
            .get("Openstack-Auth-Receipt")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = resp.body_mut().read_to_string()?;
        Ok((resp.status().as_u16(), receipt, text))
    };

    let (status, receipt, text) = post(
        None,
        json!({"auth": {"identity": {"methods": ["password"], "password": password},
                        "scope": scope}}),
    )?;
    assert_eq!(status, 401, "{text}");
    assert!(
        text.contains("totp"),
        "Keystone names the missing method: {text}"
    );
    let receipt = receipt.context("a 401 with an Openstack-Auth-Receipt")?;

    let totp = |passcode: &str| json!({"user": {"id": erin.id, "passcode": passcode}});
    let (status, _, text) = post(
        Some(&receipt),
        json!({"auth": {"identity": {"methods": ["totp"], "totp": totp("000000")},
                        "scope": scope}}),
    )?;
    // A fixed wrong code: it may be right once in a million; then try the test again.
    assert_eq!(status, 401, "a wrong passcode is refused: {text}");
    let (status, _, text) = post(
        Some(&receipt),
        json!({"auth": {"identity": {"methods": ["totp"], "totp": totp(&erin.passcode()?)},
                        "scope": scope}}),
    )?;
    assert_eq!(
        status, 201,
        "the receipt and a passcode sign erin in: {text}"
    );
    let (status, _, text) = post(
        None,
        json!({"auth": {"identity": {"methods": ["password", "totp"], "password": password,
                                     "totp": totp(&erin.passcode()?)},
                        "scope": scope}}),
    )?;
    assert_eq!(status, 201, "password and passcode at once: {text}");
    Ok(())
}

/// RegionTwo's Glance lists `glance-download` and pulls an image from RegionOne's with
/// the user's token; RegionOne's does not offer it.
fn region_two_imports_from_region_one_by_glance_download(cloud: &DevCloud) -> Result<()> {
    let alice = cloud.user_token("alice", "project-a")?;
    let methods = |region: &str| -> Result<Vec<String>> {
        let (status, info) =
            cloud.glance_request(region, &alice, "GET", "/v2/info/import", None)?;
        ensure!(status == 200, "{info}");
        Ok(info["import-methods"]["value"]
            .as_array()
            .context("import methods")?
            .iter()
            .filter_map(|m| m.as_str().map(String::from))
            .collect())
    };
    let (one, two) = (methods("RegionOne")?, methods("RegionTwo")?);
    assert!(!one.iter().any(|m| m == "glance-download"), "{one:?}");
    assert!(two.iter().any(|m| m == "glance-download"), "{two:?}");

    let source = &cloud.seed().images["RegionOne"];
    let (status, target) = cloud.glance_request(
        "RegionTwo",
        &alice,
        "POST",
        "/v2/images",
        Some(&json!({"name": "devcloud-imported", "disk_format": "qcow2",
                     "container_format": "bare"})),
    )?;
    assert_eq!(status, 201, "{target}");
    let target = target["id"].as_str().context("id")?.to_string();
    let (status, body) = cloud.glance_request(
        "RegionTwo",
        &alice,
        "POST",
        &format!("/v2/images/{target}/import"),
        Some(
            &json!({"method": {"name": "glance-download", "glance_image_id": source.id,
                                "glance_region": "RegionOne",
                                "glance_service_interface": "public"}}),
        ),
    )?;
    assert_eq!(status, 202, "{body}");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (status, image) = cloud.glance_request(
            "RegionTwo",
            &alice,
            "GET",
            &format!("/v2/images/{target}"),
            None,
        )?;
        assert_eq!(status, 200, "{image}");
        if image["status"] == "active" {
            assert_eq!(image["os_hash_value"], source.sha512.as_str(), "{image}");
            assert_eq!(image["size"], source.size);
            assert_eq!(
                image["os_distro"], "glimpse",
                "copied by glance_download_properties"
            );
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline && image["status"] != "killed",
            "the import did not finish: {image}; failed stores: {}\n{}",
            image["os_glance_failed_import"],
            devcloud::log_tail(&cloud.logs(&Service::glance("RegionTwo")).0, 40)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Whether process `pid` is alive with `dir` in its command line.
fn names(pid: u32, dir: &Path) -> bool {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    String::from_utf8_lossy(&cmdline).contains(&*dir.to_string_lossy())
}

/// On PostgreSQL the services run several requests at once: concurrent writes all
/// succeed (on SQLite they would fail with "database is locked"), and dropping the dev
/// cloud drops its databases.
#[test]
fn a_postgres_cloud_takes_concurrent_writes_and_drops_its_databases() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let ours = || -> Result<Vec<String>> {
        let out = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-Atc",
            ])
            .arg("SELECT datname FROM pg_database")
            .output()
            .context("psql")?;
        ensure!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let prefix = format!("glimpse_devcloud_{}_", std::process::id());
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .map(String::from)
            .collect())
    };
    let t0 = Instant::now();
    let cloud = DevCloud::start(Options {
        database: devcloud::Database::Postgres,
        glance_processes: 2,
        glance_threads: 4,
        keystone_threads: 4,
        ..Options::default()
    })?;
    eprintln!(
        "DevCloud::start on PostgreSQL took {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let mut names = ours()?;
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].ends_with("_glance_regionone") && names[1].ends_with("_keystone"));

    let alice = cloud.user_token("alice", "project-a")?;
    let project_b = cloud.seed().project("project-b").to_string();
    std::thread::scope(|s| -> Result<()> {
        let workers: Vec<_> = (0..8)
            .map(|n| {
                let (cloud, alice, project_b) = (&cloud, &alice, &project_b);
                s.spawn(move || -> Result<()> {
                    // A login each (Keystone writes last_active_at), an image, a member.
                    cloud.user_token("bob", "project-b")?;
                    let id = cloud.create_image(
                        "RegionOne",
                        alice,
                        &format!("pg-{n}"),
                        &ImageOptions {
                            visibility: Some("shared"),
                            ..ImageOptions::default()
                        },
                    )?;
                    let (status, body) = cloud.glance_request(
                        "RegionOne",
                        alice,
                        "POST",
                        &format!("/v2/images/{id}/members"),
                        Some(&json!({ "member": project_b })),
                    )?;
                    ensure!(status == 200, "adding a member: HTTP {status}: {body}");
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().expect("worker panicked")?;
        }
        Ok(())
    })?;
    drop(cloud);
    assert_eq!(ours()?, Vec::<String>::new(), "databases dropped");
    Ok(())
}
