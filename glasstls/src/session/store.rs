//! Where sessions are kept: the [`SessionStore`] trait, and [`MemoryStore`], a bounded LRU.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use zeroize::Zeroizing;

/// Where sessions are kept: a server's session-ID cache, or a client's cache by server name.
/// Implementations must be safe to share between threads and must bound their memory.
pub trait SessionStore: Send + Sync {
    /// Stores `value` under `key`; returns whether it was kept.
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool;
    /// The value under `key`, leaving it in place.
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
    /// The value under `key`, removing it.
    fn take(&self, key: &[u8]) -> Option<Vec<u8>>;
    /// How many entries are held.
    fn len(&self) -> usize;
    /// Whether nothing is held.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A least-recently-used map with a fixed number of entries. Values are zeroized when evicted.
pub struct MemoryStore {
    capacity: usize,
    inner: Mutex<Lru>,
}

#[derive(Default)]
struct Lru {
    entries: HashMap<Vec<u8>, (Zeroizing<Vec<u8>>, u64)>,
    order: BTreeMap<u64, Vec<u8>>,
    clock: u64,
}

impl MemoryStore {
    /// A store that keeps at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Lru::default()),
        }
    }
}

impl Lru {
    fn touch(&mut self, key: &[u8]) {
        self.clock += 1;
        let clock = self.clock;
        if let Some((_, stamp)) = self.entries.get_mut(key) {
            self.order.remove(stamp);
            *stamp = clock;
            self.order.insert(clock, key.to_vec());
        }
    }
}

impl SessionStore for MemoryStore {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        let Ok(mut lru) = self.inner.lock() else {
            return false;
        };
        if let Some((_, stamp)) = lru.entries.remove(&key) {
            lru.order.remove(&stamp);
        }
        while lru.entries.len() >= self.capacity {
            let Some((_, oldest)) = lru.order.pop_first() else {
                break;
            };
            lru.entries.remove(&oldest);
        }
        lru.clock += 1;
        let clock = lru.clock;
        lru.order.insert(clock, key.clone());
        lru.entries.insert(key, (Zeroizing::new(value), clock));
        true
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let mut lru = self.inner.lock().ok()?;
        let value = lru.entries.get(key)?.0.to_vec();
        lru.touch(key);
        Some(value)
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        let mut lru = self.inner.lock().ok()?;
        let (value, stamp) = lru.entries.remove(key)?;
        lru.order.remove(&stamp);
        Some(value.to_vec())
    }

    fn len(&self) -> usize {
        self.inner.lock().map(|l| l.entries.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_evicts_the_least_recently_used_and_stays_bounded() {
        let store = MemoryStore::new(3);
        for k in 0..3u8 {
            store.put(vec![k], vec![k]);
        }
        assert_eq!(store.get(&[0]), Some(vec![0])); // 0 is now the most recent
        store.put(vec![3], vec![3]);
        assert_eq!(store.get(&[1]), None, "1 was least recently used");
        assert!(
            store.get(&[0]).is_some() && store.get(&[2]).is_some() && store.get(&[3]).is_some()
        );
        for k in 0..10_000u32 {
            store.put(k.to_be_bytes().to_vec(), vec![0; 64]);
        }
        assert_eq!(store.len(), 3);
        assert_eq!(store.take(&9_999u32.to_be_bytes()), Some(vec![0; 64]));
        assert_eq!(store.len(), 2);
    }
}
