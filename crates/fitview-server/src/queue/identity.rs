//! A server's worker id: generated once and kept in `<data_dir>/worker-id`, so a server that
//! restarts on the same data directory knows which leased jobs were its own and resumes them at
//! once instead of waiting for their leases to run out.

use std::io::Write;
use std::path::Path;

/// Reads the worker id kept in `data_dir`, creating it if missing.
pub fn load_or_create(data_dir: &Path) -> std::io::Result<String> {
    let path = data_dir.join("worker-id");
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let id = uuid::Uuid::new_v4().to_string();
    let mut file = std::fs::File::create(&path)?;
    file.write_all(id.as_bytes())?;
    file.sync_all()?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_id_survives_a_restart_and_differs_between_data_directories() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = load_or_create(a.path()).unwrap();
        assert_eq!(load_or_create(a.path()).unwrap(), first);
        assert_ne!(load_or_create(b.path()).unwrap(), first);
    }
}
