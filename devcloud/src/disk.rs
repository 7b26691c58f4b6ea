//! Real disk image files for Glance to store: made once with `qemu-img`, cached under
//! `<cache dir>/images`, so that checksums and hashes in tests mean something and
//! seeding stays fast.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use serde::{Deserialize, Serialize};

use crate::venv::{cache_dir, write_atomic};

/// A disk image file and what Glance will compute of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskImage {
    pub path: PathBuf,
    /// Glance's `disk_format`: `qcow2` or `raw`.
    pub disk_format: String,
    /// Bytes of the file: Glance's `size`.
    pub size: u64,
    /// Hex SHA-512 of the file: Glance's `os_hash_value` (with `os_hash_algo` sha512).
    pub sha512: String,
}

/// Bump when the small image's recipe changes, so that caches are rebuilt.
const SMALL_VERSION: u32 = 1;
/// Virtual size of the small image, and how much of it holds data.
const SMALL_VIRTUAL: u64 = 16 << 20;
const SMALL_DATA: u64 = 3 << 20;

/// A small real qcow2 image (16 MiB virtual, about 3 MiB of deterministic data, so a
/// few MB on the wire), made on first use with `qemu-img convert` and cached.
pub fn small_disk_image() -> Result<DiskImage> {
    let dir = images_dir()?;
    let path = dir.join(format!("glimpse-small-v{SMALL_VERSION}.qcow2"));
    cached(&path, "qcow2", |out| {
        let raw = tempfile::Builder::new()
            .prefix("small-")
            .suffix(".raw")
            .tempfile_in(&dir)?;
        write_pattern(raw.path(), SMALL_DATA, SMALL_VIRTUAL)?;
        qemu_img(&[
            "convert".as_ref(),
            "-f".as_ref(),
            "raw".as_ref(),
            "-O".as_ref(),
            "qcow2".as_ref(),
            raw.path().as_os_str(),
            out.as_os_str(),
        ])
    })
}

/// A raw image of `size` bytes of zeros (a sparse file: no disk used until Glance
/// stores it), for copy benchmarks; cached by size.
pub fn large_disk_image(size: u64) -> Result<DiskImage> {
    ensure!(size > 0, "an image of 0 bytes");
    let path = images_dir()?.join(format!("zeros-{size}.raw"));
    cached(&path, "raw", |out| {
        let file = fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
        file.set_len(size)?;
        Ok(())
    })
}

fn images_dir() -> Result<PathBuf> {
    let dir = cache_dir()?.join("images");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// The image at `path`, made by `make` (into a temporary file renamed into place, so a
/// concurrent user never sees half of it) unless it and its `.sha512` exist.
fn cached(path: &Path, format: &str, make: impl FnOnce(&Path) -> Result<()>) -> Result<DiskImage> {
    let hash_path = path.with_extension(format!("{format}.sha512"));
    if let (Ok(meta), Ok(sha512)) = (fs::metadata(path), fs::read_to_string(&hash_path)) {
        return Ok(DiskImage {
            path: path.to_path_buf(),
            disk_format: format.into(),
            size: meta.len(),
            sha512: sha512.trim().to_owned(),
        });
    }
    let dir = path.parent().context("an image path without parent")?;
    let tmp = tempfile::Builder::new()
        .prefix(".making-")
        .tempfile_in(dir)?
        .into_temp_path();
    make(&tmp).with_context(|| format!("making {}", path.display()))?;
    let sha512 = sha512_of(&tmp)?;
    tmp.persist(path)
        .with_context(|| format!("storing {}", path.display()))?;
    write_atomic(&hash_path, format!("{sha512}\n").as_bytes())?;
    tracing::info!("made the disk image {}", path.display());
    Ok(DiskImage {
        path: path.to_path_buf(),
        disk_format: format.into(),
        size: fs::metadata(path)?.len(),
        sha512,
    })
}

/// `data` bytes of a fixed pseudo-random sequence (xorshift64), then zeros up to `len`:
/// the same bytes on every machine, and nothing a compressor could shrink away.
fn write_pattern(path: &Path, data: u64, len: u64) -> Result<()> {
    let file = fs::File::create(path)?;
    let mut out = BufWriter::new(&file);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..data / 8 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.write_all(&x.to_le_bytes())?;
    }
    out.flush()?;
    drop(out);
    file.set_len(len)?;
    Ok(())
}

fn qemu_img(args: &[&std::ffi::OsStr]) -> Result<()> {
    let out = Command::new("qemu-img")
        .args(args)
        .output()
        .context("running qemu-img (on Debian: apt-get install qemu-utils)")?;
    if !out.status.success() {
        bail!(
            "qemu-img {:?} failed: {}",
            args,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Hex SHA-512 of a file, by coreutils' `sha512sum` (fast also in debug builds).
pub(crate) fn sha512_of(path: &Path) -> Result<String> {
    let out = Command::new("sha512sum")
        .arg(path)
        .output()
        .context("running sha512sum")?;
    ensure!(
        out.status.success(),
        "sha512sum {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let hash = text.split_whitespace().next().unwrap_or_default();
    ensure!(hash.len() == 128, "sha512sum printed {text:?}");
    Ok(hash.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_is_data_then_zeros() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("x.raw");
        write_pattern(&p, 64, 256).unwrap();
        let bytes = fs::read(&p).unwrap();
        assert_eq!(bytes.len(), 256);
        assert!(bytes[..64].iter().any(|&b| b != 0));
        assert!(bytes[64..].iter().all(|&b| b == 0));
        // Deterministic.
        write_pattern(&p, 64, 256).unwrap();
        assert_eq!(fs::read(&p).unwrap(), bytes);
    }

    #[test]
    fn sha512_matches_a_known_value() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("abc");
        fs::write(&p, "abc").unwrap();
        assert!(sha512_of(&p).unwrap().starts_with("ddaf35a193617aba"));
    }

    #[test]
    fn the_small_image_is_a_real_qcow2() {
        let disk = small_disk_image().unwrap();
        assert_eq!(disk.disk_format, "qcow2");
        assert!(disk.size > 2 << 20 && disk.size < 8 << 20, "{disk:?}");
        let info = Command::new("qemu-img")
            .args(["info", "--output=json"])
            .arg(&disk.path)
            .output()
            .unwrap();
        let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
        assert_eq!(info["format"], "qcow2");
        assert_eq!(info["virtual-size"], SMALL_VIRTUAL);
        assert_eq!(sha512_of(&disk.path).unwrap(), disk.sha512);
        // Cached: the same file next time.
        assert_eq!(small_disk_image().unwrap(), disk);
    }
}
