#![allow(clippy::result_large_err)] // figment's Jail closures return figment::Error

use super::*;

#[test]
fn layers_override_in_order() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "glimpse.toml",
            "auth_url = \"http://file:5000\"\nconcurrency = 3\n",
        )?;
        jail.set_env("GLIMPSE_CONCURRENCY", "5");
        let flags = serde_json::json!({"listen": "127.0.0.1:9999"});
        let s = Settings::load(None, &flags).map_err(|e| e.to_string())?;
        assert_eq!(s.auth_url.as_deref(), Some("http://file:5000"));
        assert_eq!(s.concurrency, 5);
        assert_eq!(s.listen.port(), 9999);
        assert_eq!(s.timeout_secs, 30);
        Ok(())
    });
}

#[test]
fn cloud_from_clouds_yaml() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "my-clouds.yaml",
            "clouds:\n  lab:\n    auth:\n      auth_url: http://k:5000/v3\n      user_domain_name: Lab\n    region_name: RegionTwo\n    regions: [RegionOne, RegionTwo]\n",
        )?;
        jail.set_env("OS_CLIENT_CONFIG_FILE", "my-clouds.yaml");
        let config = Config::resolve(Settings {
            cloud: Some("lab".into()),
            ..Settings::default()
        })
        .map_err(|e| e.to_string())?;
        assert_eq!(config.auth_url, "http://k:5000/v3");
        assert_eq!(config.user_domain_name, "Lab");
        assert_eq!(config.project_domain_name, "Default");
        assert_eq!(config.default_region.as_deref(), Some("RegionTwo"));
        assert_eq!(config.regions, vec!["RegionOne", "RegionTwo"]);
        assert!(
            Config::resolve(Settings {
                cloud: Some("nope".into()),
                ..Settings::default()
            })
            .is_err()
        );
        Ok(())
    });
}

#[test]
fn https_public_url_means_secure_cookies_unless_forced() {
    let resolve = |public_url: Option<&str>, secure_cookies| {
        Config::resolve(Settings {
            auth_url: Some("http://k:5000".into()),
            public_url: public_url.map(Into::into),
            secure_cookies,
            ..Settings::default()
        })
        .map(|c| c.secure_cookies)
    };
    assert!(!resolve(None, None).unwrap());
    assert!(resolve(Some("https://images.example.org"), None).unwrap());
    assert!(!resolve(Some("http://127.0.0.1:8080"), None).unwrap());
    assert!(!resolve(Some("https://images.example.org"), Some(false)).unwrap());
    assert!(resolve(None, Some(true)).unwrap());
    assert!(resolve(Some("not a url"), None).is_err());
}

#[test]
fn trusted_proxies_and_session_key_are_checked() {
    let resolve = |proxies: &[&str], key: Option<&str>| {
        Config::resolve(Settings {
            auth_url: Some("http://k:5000".into()),
            trusted_proxies: proxies.iter().map(|p| p.to_string()).collect(),
            session_key: key.map(|k| Secret(k.into())),
            ..Settings::default()
        })
    };
    let c = resolve(&["127.0.0.1", "10.0.0.0/8", "::1"], None).unwrap();
    assert_eq!(c.trusted_proxies.len(), 3);
    assert!(c.trusted_proxies[0].contains(&"127.0.0.1".parse::<std::net::IpAddr>().unwrap()));
    let err = resolve(&["10.0.0.0/33"], None).unwrap_err().to_string();
    assert!(err.contains("trusted_proxies"), "{err}");
    let err = format!("{:#}", resolve(&[], Some("too short")).unwrap_err());
    assert!(err.contains("openssl rand -base64 32"), "{err}");
    assert!(!err.contains("too short"), "the key is never echoed: {err}");
    let (_, key) = crate::session_store::SessionKey::generate();
    assert!(resolve(&[], Some(&key)).unwrap().session_key.is_some());
}

#[test]
fn needs_an_auth_url() {
    assert!(Config::resolve_with(Settings::default(), |_| None).is_err());
}

#[test]
fn os_variables_name_the_cloud_or_describe_it() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "clouds.yml",
            "clouds:\n  lab:\n    auth:\n      auth_url: http://lab:5000\n      user_domain_id: ud\n      project_domain_id: pd\n    interface: internal\n    image_interface: admin\n",
        )?;
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        // OS_CLOUD names the cloud of clouds.yml (in the current directory).
        let c = Config::resolve_with(Settings::default(), vars(&[("OS_CLOUD", "lab")]))
            .map_err(|e| e.to_string())?;
        assert_eq!(c.auth_url, "http://lab:5000");
        assert_eq!(c.interface, "admin", "image_interface wins");
        assert_eq!(c.user_domain(), Domain::Id("ud".into()));
        assert_eq!(c.project_domain(), Domain::Id("pd".into()));
        // Glimpse's own domain setting wins over the cloud's id.
        let c = Config::resolve_with(
            Settings {
                user_domain_name: Some("Mine".into()),
                ..Settings::default()
            },
            vars(&[("OS_CLOUD", "lab")]),
        )
        .map_err(|e| e.to_string())?;
        assert_eq!(c.user_domain(), Domain::Name("Mine".into()));
        // No cloud named: the OS_* variables describe it.
        let c = Config::resolve_with(
            Settings::default(),
            vars(&[
                ("OS_AUTH_URL", "http://env:5000/v3"),
                ("OS_REGION_NAME", "RegionTwo"),
                ("OS_INTERFACE", "internal"),
                ("OS_USER_DOMAIN_NAME", "EnvDomain"),
            ]),
        )
        .map_err(|e| e.to_string())?;
        assert_eq!(c.auth_url, "http://env:5000/v3");
        assert_eq!(c.default_region.as_deref(), Some("RegionTwo"));
        assert_eq!(c.interface, "internal");
        assert_eq!(c.user_domain(), Domain::Name("EnvDomain".into()));
        assert!(!c.insecure);
        Ok(())
    });
}

#[test]
fn client_certificate_and_insecure_from_the_cloud() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("me.pem", "CERT")?;
        jail.create_file("me.key", "KEY")?;
        jail.create_file(
            "clouds.yaml",
            "clouds:\n  tls:\n    auth: {auth_url: 'https://k:5000'}\n    cert: me.pem\n    key: me.key\n    verify: false\n  keyonly:\n    auth: {auth_url: 'https://k:5000'}\n    key: me.key\n",
        )?;
        let c = Config::resolve_with(
            Settings {
                cloud: Some("tls".into()),
                ..Settings::default()
            },
            |_| None,
        )
        .map_err(|e| e.to_string())?;
        assert_eq!(c.client_identity_pem.as_deref(), Some(&b"CERT\nKEY"[..]));
        assert!(c.insecure);
        let keyonly = Config::resolve_with(
            Settings {
                cloud: Some("keyonly".into()),
                ..Settings::default()
            },
            |_| None,
        );
        assert!(keyonly.is_err());
        Ok(())
    });
}

#[test]
fn the_reconcile_credential_is_both_or_neither() {
    let with = |id: Option<&str>, secret: Option<&str>| {
        Config::resolve(Settings {
            auth_url: Some("http://k:5000".into()),
            reconcile_credential_id: id.map(Into::into),
            reconcile_credential_secret: secret.map(|s| Secret(s.into())),
            ..Settings::default()
        })
    };
    assert_eq!(with(None, None).unwrap().reconcile_credential, None);
    let config = with(Some("abc"), Some("s3cret")).unwrap();
    assert_eq!(config.reconcile_credential.as_ref().unwrap().id, "abc");
    assert!(
        !format!("{config:?}").contains("s3cret"),
        "never in a log line"
    );
    assert!(with(Some("abc"), None).is_err());
    assert!(with(None, Some("s3cret")).is_err());
}

#[test]
fn base_path_from_the_environment_is_checked_at_start() {
    figment::Jail::expect_with(|jail| {
        let resolve = || {
            Settings::load(None, &serde_json::json!({"auth_url": "http://k:5000"}))
                .and_then(|s| Config::resolve_with(s, |_| None))
        };
        assert_eq!(resolve().map_err(|e| e.to_string())?.base_path, "");
        jail.set_env("GLIMPSE_BASE_PATH", "/glimpse");
        assert_eq!(resolve().map_err(|e| e.to_string())?.base_path, "/glimpse");
        jail.set_env("GLIMPSE_BASE_PATH", "/glimpse/");
        let err = format!("{:#}", resolve().unwrap_err());
        assert!(
            err.contains("base_path \"/glimpse/\" must not end with a slash"),
            "{err}"
        );
        // A public_url with a path says where users reach Glimpse: base_path must agree.
        jail.set_env("GLIMPSE_BASE_PATH", "");
        jail.set_env("GLIMPSE_PUBLIC_URL", "https://images.example.org/glimpse");
        let err = format!("{:#}", resolve().unwrap_err());
        assert!(err.contains("set base_path = \"/glimpse\""), "{err}");
        jail.set_env("GLIMPSE_BASE_PATH", "/glimpse");
        assert_eq!(resolve().map_err(|e| e.to_string())?.base_path, "/glimpse");
        Ok(())
    });
}
