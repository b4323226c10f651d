//! What every page of every shop reads (the loader with a shop's rules, the
//! display plan), compressed at brotli's best: in one pass over the whole body,
//! with a window sized for it.
//!
//! The app-wide compression streams at the default quality. Asked for quality
//! 11, its streaming encoder would set up a 4 MiB window and a 32 MiB match tree
//! for each response, for a body of a kilobyte; a 64 KiB window gives the same
//! bytes for any plan (a shop's surveys with their texts in one language) at a
//! sixteenth of the memory. Quality 11 still takes about 4 ms of CPU whatever
//! the size (setting up its tables), so each distinct body is compressed once:
//! most visitors of a shop (anonymous, one language) read the same plan.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT_ENCODING;
use brotli::enc::BrotliEncoderParams;

/// Brotli's best quality.
const QUALITY: i32 = 11;
/// A 64 KiB window: a plan is a few kilobytes.
const WINDOW_BITS: i32 = 16;
/// Compressed bodies kept (a plan's few hundred bytes, a loader's 2 kB: at
/// most about 10 MB); past this many the cache starts again empty.
const CACHED_BODIES: usize = 4096;

/// Whether the request accepts brotli (`br`, not refused with `q=0`).
pub fn accepted(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            parts
                .next()
                .is_some_and(|name| name.eq_ignore_ascii_case("br"))
                && parts.all(|p| {
                    p.strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                        .is_none_or(|q| q > 0.0)
                })
        })
}

/// `body` compressed, once per `key`: a strong hash of the body (its ETag).
pub fn compress_once(key: &str, body: &[u8]) -> Bytes {
    static CACHE: OnceLock<Mutex<HashMap<String, Bytes>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(hit) = cache.lock().expect("cache lock").get(key) {
        return hit.clone();
    }
    let packed = Bytes::from(compress(body));
    let mut kept = cache.lock().expect("cache lock");
    if kept.len() >= CACHED_BODIES {
        kept.clear();
    }
    kept.insert(key.to_string(), packed.clone());
    packed
}

/// `body` compressed.
fn compress(body: &[u8]) -> Vec<u8> {
    let params = BrotliEncoderParams {
        quality: QUALITY,
        lgwin: WINDOW_BITS,
        size_hint: body.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(body.len() / 2);
    brotli::BrotliCompress(&mut &body[..], &mut out, &params)
        .expect("compressing into memory does not fail");
    out
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn brotli_is_accepted_unless_refused() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepted(&h)
        };
        assert!(with("gzip, deflate, br, zstd"));
        assert!(with("br;q=0.5, gzip"));
        assert!(with("BR"));
        assert!(!with("gzip, deflate"));
        assert!(!with("br;q=0, gzip"));
        assert!(!with("brotli"));
        assert!(!accepted(&HeaderMap::new()));
    }

    #[test]
    fn what_is_compressed_reads_back() {
        let body = br#"{"surveys":[{"id":"nps"}]}"#.repeat(50);
        let packed = compress(&body);
        assert!(packed.len() < body.len() / 10);
        let mut back = Vec::new();
        brotli::Decompressor::new(&packed[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, body);
        assert_eq!(compress_once("k", &body), packed);
        assert_eq!(
            compress_once("k", b"not looked at: the key was seen"),
            packed
        );
    }
}
