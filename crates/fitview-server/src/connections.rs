//! Connections open at once per client IP, bounded: one client cannot hold every socket.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Counts of open connections by IP; a [`Claim`] is one open connection.
#[derive(Debug, Clone)]
pub struct PerIpConnections {
    max: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerIpConnections {
    /// At most `max` connections per IP (0 is treated as 1).
    pub fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            open: Arc::default(),
        }
    }

    /// Counts one more connection from `ip`, or `None` when it has as many open as allowed.
    pub fn claim(&self, ip: IpAddr) -> Option<Claim> {
        let mut open = self.lock();
        let count = open.entry(ip).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Claim {
            ip,
            connections: self.clone(),
        })
    }

    /// Connections open from `ip`.
    pub fn open(&self, ip: IpAddr) -> usize {
        self.lock().get(&ip).copied().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One open connection; dropping it counts the connection closed.
#[derive(Debug)]
pub struct Claim {
    ip: IpAddr,
    connections: PerIpConnections,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut open = self.connections.lock();
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_bounded_per_ip_and_released_on_drop() {
        let connections = PerIpConnections::new(2);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let first = connections.claim(a).unwrap();
        let _second = connections.claim(a).unwrap();
        assert!(connections.claim(a).is_none());
        let _other = connections.claim(b).unwrap();
        drop(first);
        assert_eq!(connections.open(a), 1);
        assert!(connections.claim(a).is_some());
    }
}
