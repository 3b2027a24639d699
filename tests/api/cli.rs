//! The `livedesk` binary: help, one-line configuration errors, create-workspace, migrate,
//! openapi and SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{PASSWORD, TestApp, TestDb};

const BIN: &str = env!("CARGO_BIN_EXE_livedesk");

fn livedesk(db: &TestDb) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LIVEDESK_DATA_DIR", &db.dir)
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn");
    cmd
}

#[test]
fn help_lists_the_subcommands() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in ["serve", "migrate", "openapi", "create-workspace"] {
        assert!(text.contains(sub), "--help lacks {sub}");
    }
    for env in ["LIVEDESK_BIND", "DATABASE_URL", "LIVEDESK_DATA_DIR", "REDIS_URL", "RUST_LOG"] {
        assert!(text.contains(env), "--help lacks {env}");
    }
}

#[test]
fn a_wrong_setting_stops_start_up_with_one_line_naming_it() {
    let db = TestDb::new();
    for (var, value, expected) in [
        ("LIVEDESK_BIND", "not-an-address", "LIVEDESK_BIND"),
        ("DATABASE_URL", "mysql://localhost/x", "DATABASE_URL"),
        ("LIVEDESK_JWT_SECRET", "short", "LIVEDESK_JWT_SECRET"),
        ("LIVEDESK_LOG_FORMAT", "xml", "LIVEDESK_LOG_FORMAT"),
        ("LIVEDESK_CORS_ORIGINS", "example.com", "LIVEDESK_CORS_ORIGINS"),
        ("LIVEDESK_BODY_LIMIT", "12", "LIVEDESK_BODY_LIMIT"),
        ("LIVEDESK_LIMIT_LOGIN_ACCOUNT", "ten", "LIVEDESK_LIMIT_LOGIN_ACCOUNT"),
        ("LIVEDESK_TRUSTED_PROXIES", "proxy.local", "LIVEDESK_TRUSTED_PROXIES"),
        ("LIVEDESK_METRICS_TOKEN", "short", "LIVEDESK_METRICS_TOKEN"),
    ] {
        let out = livedesk(&db).env(var, value).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{var}: {err}");
        assert!(err.contains(expected), "{var}: {err}");
    }
}

#[test]
fn migrate_and_openapi_commands() {
    let db = TestDb::new();
    let out = livedesk(&db).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("applied migration"));
    let again = livedesk(&db).arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"));

    let spec = livedesk(&db).arg("openapi").output().unwrap();
    assert!(spec.status.success());
    assert_eq!(String::from_utf8_lossy(&spec.stdout), include_str!("../../openapi/openapi.json"));
}

#[tokio::test]
async fn create_workspace_then_sign_in() {
    let db = TestDb::new();
    let out = livedesk(&db)
        .args(["create-workspace", "--name", "Shell Co", "--email", "root@shell.test", "--password", PASSWORD])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("shell-co"));
    let bad = livedesk(&db)
        .args(["create-workspace", "--name", "X", "--email", "nope", "--password", PASSWORD])
        .output()
        .unwrap();
    assert!(!bad.status.success());

    let config = livedesk::config::Config::for_data_dir(db.dir.clone(), Some(db.url.clone()));
    let app = TestApp::start(db, config);
    let res = app.login("root@shell.test", PASSWORD).await;
    res.expect(200);
    assert_eq!(res.body["operator"]["role"], "super_admin");
}

#[test]
fn serve_prints_its_address_and_stops_on_sigterm() {
    let db = TestDb::new();
    let mut child = livedesk(&db)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("livedesk listening on http://127.0.0.1:"), "{line}");
    let addr = line.split("http://").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let health = std::net::TcpStream::connect(&addr);
    assert!(health.is_ok());
    unsafe_kill(child.id(), "TERM");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The generated JWT secret is private to its owner.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(db.dir.join("jwt_secret")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

fn unsafe_kill(pid: u32, signal: &str) {
    let status = Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status().unwrap();
    assert!(status.success());
}
