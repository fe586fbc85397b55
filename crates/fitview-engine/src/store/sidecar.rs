//! The JSON sidecar that describes one stored result: what it was made from, by what, when, and
//! the name, size and BLAKE3 of every file. It is written last, so a result is visible only when
//! complete, and readers check every file against it.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::key::{ContentKey, InputHash};
use crate::request::{GarmentCategory, OutputFormat};
use crate::result::{OutputImage, Thumbnail};

/// First bytes of a packed result.
const PACK_MAGIC: &[u8; 4] = b"FVR1";

/// Version of the sidecar's own format.
pub const SIDECAR_VERSION: u32 = 1;

/// Everything known about a stored result except its pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sidecar {
    /// [`SIDECAR_VERSION`] of the writer.
    pub version: u32,
    /// The result's content key.
    pub key: ContentKey,
    /// [`crate::PIPELINE_VERSION`] of the writer.
    pub pipeline_version: String,
    /// The provider that made the result.
    pub provider: String,
    /// Its model id.
    pub model: String,
    /// Its prompt version.
    pub prompt_version: String,
    /// When the result was made, RFC 3339 in UTC.
    pub created_at: String,
    /// The inputs' hashes: the person first, then each garment.
    pub inputs: Vec<SidecarInput>,
    /// The images, one per sample.
    pub images: Vec<SidecarImage>,
    /// Provider-specific facts returned with the result.
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// One input of a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SidecarInput {
    /// `person` or `garment`.
    pub role: String,
    /// The garment's category (garments only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<GarmentCategory>,
    /// BLAKE3 of the input's decoded pixels ([`InputHash`]).
    pub hash: InputHash,
}

/// One stored file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SidecarFile {
    /// File name inside the result's directory.
    pub file: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Size in bytes.
    pub bytes: u64,
    /// BLAKE3 of the file, hex.
    pub blake3: String,
}

/// One image and its thumbnails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SidecarImage {
    /// Encoding of the image and its thumbnails.
    pub format: OutputFormat,
    /// The image.
    #[serde(flatten)]
    pub image: SidecarFile,
    /// Its thumbnails, in the order they were asked for.
    pub thumbnails: Vec<SidecarFile>,
}

/// What a result is made from and by, to describe it in a sidecar (with [`Sidecar::describe`]).
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The provider that made the images.
    pub provider: String,
    /// Its model id.
    pub model: String,
    /// Its prompt version.
    pub prompt_version: String,
    /// The inputs, the person first; their hashes are how the result is found for deletion.
    pub inputs: Vec<SidecarInput>,
    /// Provider-specific facts.
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// `image.webp`, `image-2.webp`, ...; `thumb-256.webp`, `thumb-256-2.webp`, ...
fn file_name(stem: &str, sample: usize, ext: &str) -> String {
    if sample == 0 {
        format!("{stem}.{ext}")
    } else {
        format!("{stem}-{}.{ext}", sample + 1)
    }
}

fn describe_file(file: String, width: u32, height: u32, bytes: &Bytes) -> SidecarFile {
    SidecarFile {
        file,
        width,
        height,
        bytes: bytes.len() as u64,
        blake3: blake3::hash(bytes).to_hex().to_string(),
    }
}

impl Sidecar {
    /// Describes `images`, made now, under `key`: names every file (`image.<ext>`,
    /// `thumb-<w>.<ext>`, `image-2.<ext>`, ...) and records its size and BLAKE3. Applications that
    /// keep images the engine did not store itself (e.g. derived ones) describe them with this and
    /// write them with [`ResultStore::put`](super::ResultStore::put).
    pub fn describe(key: &ContentKey, provenance: Provenance, images: &[OutputImage]) -> Sidecar {
        let images = images
            .iter()
            .enumerate()
            .map(|(i, img)| {
                let ext = img.format.extension();
                SidecarImage {
                    format: img.format,
                    image: describe_file(
                        file_name("image", i, ext),
                        img.width,
                        img.height,
                        &img.bytes,
                    ),
                    thumbnails: img
                        .thumbnails
                        .iter()
                        .map(|t| {
                            describe_file(
                                file_name(&format!("thumb-{}", t.width), i, ext),
                                t.width,
                                t.height,
                                &t.bytes,
                            )
                        })
                        .collect(),
                }
            })
            .collect();
        Sidecar {
            version: SIDECAR_VERSION,
            key: key.clone(),
            pipeline_version: crate::key::PIPELINE_VERSION.to_owned(),
            provider: provenance.provider,
            model: provenance.model,
            prompt_version: provenance.prompt_version,
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            inputs: provenance.inputs,
            images,
            metadata: provenance.metadata,
        }
    }

    /// Every file, in a fixed order: each image followed by its thumbnails.
    pub fn files(&self) -> impl Iterator<Item = &SidecarFile> {
        self.images
            .iter()
            .flat_map(|i| std::iter::once(&i.image).chain(&i.thumbnails))
    }

    /// The hashes of the inputs.
    pub fn input_hashes(&self) -> impl Iterator<Item = &InputHash> {
        self.inputs.iter().map(|i| &i.hash)
    }

    /// The bytes of every file of `images`, in [`Sidecar::files`] order.
    pub(crate) fn blobs(images: &[OutputImage]) -> Vec<Bytes> {
        images
            .iter()
            .flat_map(|i| {
                std::iter::once(i.bytes.clone()).chain(i.thumbnails.iter().map(|t| t.bytes.clone()))
            })
            .collect()
    }

    /// Rebuilds the images from their files (in [`Sidecar::files`] order), checking each file's
    /// size and hash: a file that does not match belongs to another write and the result is
    /// treated as missing.
    pub(crate) fn assemble(&self, mut blobs: Vec<Bytes>) -> Result<Vec<OutputImage>> {
        let expected = self.files().count();
        if blobs.len() != expected {
            return Err(Error::Storage {
                detail: format!(
                    "result {}: {} files, expected {expected}",
                    self.key,
                    blobs.len()
                ),
            });
        }
        for (file, blob) in self.files().zip(&blobs) {
            if blob.len() as u64 != file.bytes
                || blake3::hash(blob).to_hex().as_str() != file.blake3
            {
                return Err(Error::Storage {
                    detail: format!(
                        "result {}: {} does not match its sidecar",
                        self.key, file.file
                    ),
                });
            }
        }
        let mut blobs = blobs.drain(..);
        let mut next = || blobs.next().unwrap_or_default();
        Ok(self
            .images
            .iter()
            .map(|img| OutputImage {
                width: img.image.width,
                height: img.image.height,
                format: img.format,
                bytes: next(),
                thumbnails: img
                    .thumbnails
                    .iter()
                    .map(|t| Thumbnail {
                        width: t.width,
                        height: t.height,
                        bytes: next(),
                    })
                    .collect(),
            })
            .collect())
    }

    /// One blob holding the sidecar and every file (for the shared cache):
    /// `FVR1`, the sidecar's JSON length (u32 LE), the JSON, then the files in order.
    pub(crate) fn pack(&self, images: &[OutputImage]) -> Result<Vec<u8>> {
        let json =
            serde_json::to_vec(self).map_err(|e| Error::internal(format!("sidecar: {e}")))?;
        let len = u32::try_from(json.len()).map_err(|_| Error::internal("sidecar too large"))?;
        let blobs = Sidecar::blobs(images);
        let mut out =
            Vec::with_capacity(8 + json.len() + blobs.iter().map(Bytes::len).sum::<usize>());
        out.extend_from_slice(PACK_MAGIC);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&json);
        for blob in blobs {
            out.extend_from_slice(&blob);
        }
        Ok(out)
    }

    /// Reverses [`Sidecar::pack`], checking every file.
    pub(crate) fn unpack(packed: Bytes) -> Result<(Sidecar, Vec<OutputImage>)> {
        let bad = |why: &str| Error::Storage {
            detail: format!("packed result: {why}"),
        };
        if packed.len() < 8 || &packed[..4] != PACK_MAGIC {
            return Err(bad("not a FitView result"));
        }
        let len = u32::from_le_bytes([packed[4], packed[5], packed[6], packed[7]]) as usize;
        let json = packed
            .get(8..8 + len)
            .ok_or_else(|| bad("truncated sidecar"))?;
        let sidecar: Sidecar = serde_json::from_slice(json).map_err(|e| bad(&e.to_string()))?;
        let mut offset = 8 + len;
        let mut blobs = Vec::new();
        for file in sidecar.files() {
            let end = offset
                .checked_add(file.bytes as usize)
                .filter(|end| *end <= packed.len());
            let end = end.ok_or_else(|| bad("truncated file"))?;
            blobs.push(packed.slice(offset..end));
            offset = end;
        }
        if offset != packed.len() {
            return Err(bad("trailing bytes"));
        }
        let images = sidecar.assemble(blobs)?;
        Ok((sidecar, images))
    }

    /// Total size of the files, in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.files().map(|f| f.bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(seed: u8) -> OutputImage {
        OutputImage {
            width: 30,
            height: 40,
            format: OutputFormat::Png,
            bytes: Bytes::from(vec![seed; 100]),
            thumbnails: vec![Thumbnail {
                width: 15,
                height: 20,
                bytes: Bytes::from(vec![seed; 10]),
            }],
        }
    }

    fn provenance() -> Provenance {
        Provenance {
            provider: "mock".into(),
            model: "m".into(),
            prompt_version: "1".into(),
            inputs: vec![],
            metadata: serde_json::Map::new(),
        }
    }

    #[test]
    fn files_are_named_per_sample_and_round_trip() {
        let key: ContentKey = "ab".repeat(32).parse().unwrap();
        let images = vec![image(1), image(2)];
        let sidecar = Sidecar::describe(&key, provenance(), &images);
        let names: Vec<&str> = sidecar.files().map(|f| f.file.as_str()).collect();
        assert_eq!(
            names,
            ["image.png", "thumb-15.png", "image-2.png", "thumb-15-2.png"]
        );
        assert_eq!(sidecar.total_bytes(), 220);
        let back = sidecar.assemble(Sidecar::blobs(&images)).unwrap();
        assert_eq!(back[1].bytes, images[1].bytes);
        assert_eq!(back[0].thumbnails[0].bytes, images[0].thumbnails[0].bytes);
        let json = serde_json::to_string(&sidecar).unwrap();
        assert_eq!(serde_json::from_str::<Sidecar>(&json).unwrap(), sidecar);
    }

    #[test]
    fn packed_results_round_trip_and_truncation_is_caught() {
        let key: ContentKey = "ef".repeat(32).parse().unwrap();
        let images = vec![image(3), image(4)];
        let sidecar = Sidecar::describe(&key, provenance(), &images);
        let packed = Bytes::from(sidecar.pack(&images).unwrap());
        let (back, imgs) = Sidecar::unpack(packed.clone()).unwrap();
        assert_eq!(back, sidecar);
        assert_eq!(imgs[1].thumbnails[0].bytes, images[1].thumbnails[0].bytes);
        assert!(Sidecar::unpack(packed.slice(..packed.len() - 1)).is_err());
        assert!(Sidecar::unpack(Bytes::from_static(b"nope")).is_err());
    }

    #[test]
    fn a_file_from_another_write_is_rejected() {
        let key: ContentKey = "cd".repeat(32).parse().unwrap();
        let sidecar = Sidecar::describe(&key, provenance(), &[image(1)]);
        let mut blobs = Sidecar::blobs(&[image(1)]);
        blobs[0] = Bytes::from(vec![9; 100]);
        assert!(matches!(
            sidecar.assemble(blobs),
            Err(Error::Storage { .. })
        ));
        assert!(sidecar.assemble(vec![]).is_err());
    }
}
