//! Places counted per key, each given back when its holder ends, however it
//! ends (a panic, the server stopping): a client address's open connections
//! (`serve.rs`), a webhook endpoint's attempts in flight (`webhooks.rs`).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};

/// How many places each key holds.
#[derive(Debug)]
pub struct Places<K: Eq + Hash + Clone>(Arc<Mutex<HashMap<K, u32>>>);

impl<K: Eq + Hash + Clone> Clone for Places<K> {
    fn clone(&self) -> Self {
        Places(self.0.clone())
    }
}

impl<K: Eq + Hash + Clone> Default for Places<K> {
    fn default() -> Self {
        Places(Arc::default())
    }
}

impl<K: Eq + Hash + Clone> Places<K> {
    fn counts(&self) -> MutexGuard<'_, HashMap<K, u32>> {
        // A holder that panicked left the counts as they were: still right.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A place for `key`, unless it holds `most` already.
    pub fn take(&self, key: &K, most: u32) -> Option<Place<K>> {
        let mut counts = self.counts();
        let n = counts.entry(key.clone()).or_default();
        if *n >= most {
            return None;
        }
        *n += 1;
        Some(Place {
            places: self.clone(),
            key: key.clone(),
        })
    }

    /// Every key holding a place, with how many.
    pub fn held(&self) -> Vec<(K, u32)> {
        self.counts().iter().map(|(k, n)| (k.clone(), *n)).collect()
    }
}

/// One place of a key, given back when dropped.
#[derive(Debug)]
pub struct Place<K: Eq + Hash + Clone> {
    places: Places<K>,
    key: K,
}

impl<K: Eq + Hash + Clone> Drop for Place<K> {
    fn drop(&mut self) {
        let mut counts = self.places.counts();
        if let Some(n) = counts.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}
