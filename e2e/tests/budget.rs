//! The widget's download budget, enforced on the built files (scripts/build-widget.sh
//! writes each with its brotli twin, quality 11, as the server sends them): a
//! change that grows past it fails here, before any shop's page pays for it.

use std::path::Path;

use anyhow::{Context, Result, bail};
use kept_e2e::widget_dist;

/// The loader, which every page of a shop downloads (the shop's `kept-shop.js`,
/// as `kept.js?key=…` with the shop's rules written in; the generic `kept.js`):
/// at most 2 kB each.
const LOADER_BUDGET: u64 = 2 * 1024;
/// The widget (glue and wasm together), downloaded only where something is
/// shown: at most 45 kB, lighter than Formbricks' survey bundle (45.5 kB). See
/// the README's account of where the bytes go.
const WIDGET_BUDGET: u64 = 45_000;

fn brotli_size(dir: &Path, name: &str) -> Result<u64> {
    let path = dir.join(format!("{name}.br"));
    Ok(std::fs::metadata(&path)
        .with_context(|| format!("{}: run scripts/build-widget.sh", path.display()))?
        .len())
}

/// The built file whose name starts with `prefix` and ends with `suffix`.
fn built(dir: &Path, prefix: &str, suffix: &str) -> Result<String> {
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with(prefix) && name.ends_with(suffix) {
            return Ok(name);
        }
    }
    bail!("no {prefix}*{suffix} in {}", dir.display())
}

#[test]
fn the_loaders_fit_in_two_kilobytes() -> Result<()> {
    let dist = widget_dist();
    for name in ["kept-shop.js", "kept.js"] {
        let loader = brotli_size(&dist, name)?;
        assert!(
            loader <= LOADER_BUDGET,
            "{name} is {loader} B brotli, over its {LOADER_BUDGET} B budget"
        );
    }
    Ok(())
}

#[test]
fn the_widget_fits_in_45_kilobytes() -> Result<()> {
    let dist = widget_dist();
    let glue = brotli_size(&dist, &built(&dist, "kept-widget.", ".js")?)?;
    let wasm = brotli_size(&dist, &built(&dist, "kept-widget_bg.", ".wasm")?)?;
    assert!(
        glue + wasm <= WIDGET_BUDGET,
        "glue {glue} B + wasm {wasm} B brotli = {} B, over its {WIDGET_BUDGET} B budget",
        glue + wasm
    );
    Ok(())
}
