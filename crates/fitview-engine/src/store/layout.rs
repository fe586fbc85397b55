//! Where each object of a result store lives. The one place that spells paths.

use object_store::path::Path;

use crate::key::{ContentKey, InputHash};

/// Prefix of every result's directory.
pub(crate) const RESULTS: &str = "results";
/// Prefix of the kept uploads.
pub(crate) const INPUTS: &str = "inputs";
/// Prefix of the input → result markers.
pub(crate) const BY_INPUT: &str = "by-input";
/// Prefix of the marks of forgotten inputs.
pub(crate) const FORGOTTEN: &str = "forgotten";
/// Name of the sidecar inside a result's directory.
pub(crate) const SIDECAR: &str = "sidecar.json";

/// `results/<key>/`
pub(crate) fn result_dir(key: &ContentKey) -> Path {
    Path::from_iter([RESULTS, key.as_str()])
}

/// `results/<key>/<file>`
pub(crate) fn file(key: &ContentKey, file: &str) -> Path {
    Path::from_iter([RESULTS, key.as_str(), file])
}

/// `results/<key>/sidecar.json`
pub(crate) fn sidecar(key: &ContentKey) -> Path {
    file(key, SIDECAR)
}

/// `inputs/<hash>`
pub(crate) fn input(hash: &InputHash) -> Path {
    Path::from_iter([INPUTS, hash.as_str()])
}

/// `by-input/<hash>/`
pub(crate) fn markers(hash: &InputHash) -> Path {
    Path::from_iter([BY_INPUT, hash.as_str()])
}

/// `by-input/<hash>/<key>`
pub(crate) fn marker(hash: &InputHash, key: &ContentKey) -> Path {
    Path::from_iter([BY_INPUT, hash.as_str(), key.as_str()])
}

/// `forgotten/<hash>`: when the input was forgotten, so that a try-on of it running meanwhile
/// does not keep its result.
pub(crate) fn forgotten(hash: &InputHash) -> Path {
    Path::from_iter([FORGOTTEN, hash.as_str()])
}

/// The key of a path under `results/`, if it is one.
pub(crate) fn key_of(path: &Path) -> Option<ContentKey> {
    let mut parts = path.parts();
    if parts.next()?.as_ref() != RESULTS {
        return None;
    }
    parts.next()?.as_ref().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_to_keys() {
        let key: ContentKey = "0f".repeat(32).parse().unwrap();
        let path = file(&key, "image.webp");
        assert_eq!(path.as_ref(), format!("results/{key}/image.webp"));
        assert_eq!(key_of(&path), Some(key.clone()));
        assert_eq!(key_of(&sidecar(&key)), Some(key));
        assert_eq!(key_of(&Path::from("inputs/abc")), None);
        assert_eq!(key_of(&Path::from("results/not-a-key/x")), None);
    }
}
