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
    ] {
        let out = kept(std::path::Path::new(url), &["shop", "show", "demo"]);
        assert!(!out.status.success());
        let said = said(&out);
        assert!(said.contains("opening the database postgres"), "{said}");
        assert!(
            said.contains("***") && !said.contains("s3cret-pw"),
            "{said}"
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
