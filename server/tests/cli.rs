//! The `kept-server` command line, run as an operator runs it: shops are
//! created with `add-shop`, shown and changed with `shop`.

use std::process::{Command, Output};

fn kept(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kept-server"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("KEPT_DB")
        .output()
        .expect("kept-server runs")
}

fn said(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

/// A mistyped path must not leave a new, empty database behind.
#[test]
fn shop_changes_only_an_existing_database() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("kpet.db");
    let out = kept(&typo, &["shop", "show", "demo"]);
    assert!(!out.status.success());
    assert!(said(&out).contains("no database at"), "{}", said(&out));
    assert!(!typo.exists());
}

/// A store that cannot be opened is named without its password: a typo in a
/// host had printed it in clear for the journal. (Nothing listens on port 1.)
#[test]
fn a_database_that_cannot_be_opened_is_named_without_its_password() {
    for url in [
        "postgres://kept:s3cret-pw@127.0.0.1:1/kept",
        "postgresql://kept@127.0.0.1:1/kept?password=s3cret-pw&connect_timeout=2",
        // libpq's form, which had been taken for a SQLite file named after it.
        "host=127.0.0.1 port=1 user=kept password=s3cret-pw dbname=kept",
    ] {
        let out = kept(std::path::Path::new(url), &["shop", "show", "demo"]);
        assert!(!out.status.success());
        let said = said(&out);
        assert!(said.contains("opening the database"), "{said}");
        assert!(
            said.contains("***") && !said.contains("s3cret-pw"),
            "{said}"
        );
        assert!(!std::path::Path::new(url).exists(), "a file named {url}");
    }
}

/// A shop is made by the rules its owner's settings follow, all of them: one
/// made past them (a name of 101 characters, 11 tiers, a label in no
/// language, an id of 65 characters) could not then save its own settings.
#[test]
fn add_shop_keeps_to_the_settings_rules() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kept.db");
    let long_name = "n".repeat(101);
    let eleven: Vec<String> = (0..11).map(|i| format!("T{i}={}", i * 100)).collect();
    let long_id = "s".repeat(65);
    let mut too_many = vec!["add-shop", "--id", "many", "--name", "Many"];
    for t in &eleven {
        too_many.extend(["--tier", t.as_str()]);
    }
    for (args, said_of) in [
        (
            vec!["add-shop", "--id", "big", "--name", long_name.as_str()],
            "name:",
        ),
        (too_many, "tiers:"),
        (
            vec![
                "add-shop",
                "--id",
                "lbl",
                "--name",
                "L",
                "--tier",
                "Base=0",
                "--tier-label",
                "Base:zz-bogus=X",
            ],
            "tiers[0].labels.zz-bogus:",
        ),
        (
            vec!["add-shop", "--id", long_id.as_str(), "--name", "Long"],
            "at most 64 characters",
        ),
    ] {
        let out = kept(&db, &args);
        assert!(!out.status.success(), "{args:?}: {}", said(&out));
        assert!(said(&out).contains(said_of), "{args:?}: {}", said(&out));
    }
    let out = kept(
        &db,
        &["add-shop", "--id", "fine", "--name", &"n".repeat(100)],
    );
    assert!(out.status.success(), "{}", said(&out));
}

/// A switch set in the environment reads as shells and compose files write it
/// (`KEPT_DEMO=1`, `yes`): only `true` had been taken, and the server did not start.
#[test]
fn a_switch_in_the_environment_takes_one_and_yes() {
    let dir = tempfile::tempdir().unwrap();
    for value in ["1", "yes", "On", "true", "", "0", "no", "off", "FALSE"] {
        let out = Command::new(env!("CARGO_BIN_EXE_kept-server"))
            .args([
                "--db",
                &dir.path().join("none.db").to_string_lossy(),
                "shop",
                "show",
                "demo",
            ])
            .env("KEPT_DEMO", value)
            .env("KEPT_WEBHOOKS_TO_PRIVATE_NETWORKS", value)
            .output()
            .unwrap();
        // Read, then refused for the missing database: not for the switch.
        assert!(
            said(&out).contains("no database at"),
            "{value}: {}",
            said(&out)
        );
    }
}

/// `--public-url` is the base of every personal link: one without its scheme
/// is refused at the start, not written into links no phone opens.
#[test]
fn a_public_url_without_its_scheme_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = kept(
        &dir.path().join("kept.db"),
        &["--public-url", "kept.example.com"],
    );
    assert!(!out.status.success());
    assert!(said(&out).contains("not an address"), "{}", said(&out));
}

/// Origins are kept as browsers write them: a default port typed is left out.
#[test]
fn origins_set_from_the_command_line_are_kept_as_browsers_write_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kept.db");
    let added = kept(&db, &["add-shop", "--id", "north", "--name", "Northwind"]);
    assert!(added.status.success(), "{}", said(&added));
    let set = kept(
        &db,
        &[
            "shop",
            "set",
            "north",
            "--add-origin",
            "https://Shop.Example:443",
        ],
    );
    assert!(set.status.success(), "{}", said(&set));
    let shown = said(&kept(&db, &["shop", "show", "north"]));
    assert!(
        shown.contains("https://shop.example") && !shown.contains(":443"),
        "{shown}"
    );
    // A removal of an origin not listed (a typo) is said.
    let typo = kept(
        &db,
        &[
            "shop",
            "set",
            "north",
            "--remove-origin",
            "https://shop.exmaple",
        ],
    );
    assert!(typo.status.success());
    assert!(
        said(&typo).contains("https://shop.exmaple was not among the shop's origins"),
        "{}",
        said(&typo)
    );
}
