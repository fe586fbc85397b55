//! The catalog manifest: models, products and what to generate, read from TOML or JSON (products
//! optionally from CSV) and validated as a whole before anything is generated.
//!
//! Every problem is collected with its file and line, so a retailer fixes the manifest in one go
//! instead of one error per run. Images are read once here (checked to be JPEG, PNG or WebP and
//! hashed), which also gives the digests that identify each batch item. Images named by a store
//! URL are fetched after the manifest has been walked, several at a time.

pub(super) mod csv_file;
pub(super) mod json_file;
pub(super) mod node;
pub(super) mod toml_file;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use fitview_engine::{BodyLandmarks, GarmentCategory, Style};
use futures::StreamExt;

use super::source::{ImageSource, Sources};
use crate::input_file::{MAX_SMALL_TEXT_BYTES, MAX_TEXT_BYTES, read_bounded, read_text_bounded};
use node::{Node, Value};

/// Store objects fetched at once while validating.
const FETCHES_AT_ONCE: usize = 16;

/// A validated catalog manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The catalog's name (the gallery's title).
    pub name: String,
    /// The retailer's models, in manifest order.
    pub models: Vec<Model>,
    /// The products, in manifest order (inline ones first, then the CSV's).
    pub products: Vec<Product>,
    /// What to generate.
    pub generate: Generate,
    /// Most bytes an image may have (the engine's `limits.max_input_bytes`); images are read
    /// through this bound, here and when generating.
    pub max_image_bytes: u64,
}

/// A retailer's model (the person photo).
#[derive(Debug, Clone)]
pub struct Model {
    /// Unique id; also the output directory name.
    pub id: String,
    /// The photo.
    pub image: ImageSource,
    /// BLAKE3 of the photo's bytes.
    pub image_digest: String,
    /// Body landmarks in the photo's pixels, if given.
    pub landmarks: Option<BodyLandmarks>,
    /// Free-form facts shown in the gallery (body type, size, height, skin tone).
    pub facts: Vec<(String, String)>,
}

/// A product (the garment photo).
#[derive(Debug, Clone)]
pub struct Product {
    /// Unique SKU; also the output file name.
    pub sku: String,
    /// Display name.
    pub name: String,
    /// Where the garment goes.
    pub category: GarmentCategory,
    /// The product photo.
    pub image: ImageSource,
    /// BLAKE3 of the photo's bytes.
    pub image_digest: String,
    /// Sizes sold.
    pub sizes: Vec<String>,
    /// Colour name.
    pub colour: Option<String>,
    /// Price.
    pub price: Option<f64>,
}

/// Which pairs to generate and how.
#[derive(Debug, Clone, Default)]
pub struct Generate {
    /// Only these model ids (all when `None`).
    pub models: Option<Vec<String>>,
    /// Only products of these categories.
    pub categories: Option<Vec<GarmentCategory>>,
    /// Only these SKUs.
    pub skus: Option<Vec<String>>,
    /// Style variations made from each try-on.
    pub variations: Vec<Style>,
}

/// One thing wrong with the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The file it is in (the manifest or its CSV).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Every problem found in a manifest.
#[derive(Debug, Clone)]
pub struct ManifestError {
    /// The problems, by file and line.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{n} problem{} in the manifest:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {}:{}: {}", p.file.display(), p.line, p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ManifestError {}

/// Reads and validates the manifest at `path` (`.toml` or `.json`); no image may have more than
/// `max_image_bytes`.
pub async fn load(path: &Path, max_image_bytes: u64) -> Result<Manifest, ManifestError> {
    let mut checker = Checker {
        max_image_bytes,
        file: path.to_owned(),
        problems: Vec::new(),
        digests: HashMap::new(),
        seen: HashMap::new(),
        sources: Sources::default(),
        remote: Vec::new(),
    };
    let mut manifest = checker.manifest(path);
    checker.fetch_remote(manifest.as_mut()).await;
    checker
        .problems
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    match manifest {
        Some(manifest) if checker.problems.is_empty() => Ok(manifest),
        _ => Err(ManifestError {
            problems: checker.problems,
        }),
    }
}

type Entries = [(String, usize, Node)];

const TOP_KEYS: [&str; 5] = ["name", "products_csv", "models", "products", "generate"];
const MODEL_KEYS: [&str; 7] = [
    "id",
    "image",
    "landmarks",
    "body_type",
    "size",
    "height_cm",
    "skin_tone",
];
const GENERATE_KEYS: [&str; 4] = ["models", "categories", "skus", "variations"];

/// Collects problems while building the manifest.
struct Checker {
    /// Most bytes an image may have.
    max_image_bytes: u64,
    /// The file being read (the manifest, or its CSV while reading that).
    file: PathBuf,
    problems: Vec<Problem>,
    /// Image path or URL → digest (or why it cannot be used), so shared images are read once.
    digests: HashMap<String, Result<String, String>>,
    /// Ids seen so far (kind and lower-cased id → where, and the id as written), to report
    /// duplicates.
    seen: HashMap<String, (String, String)>,
    /// Resolves image references; opens each store once.
    sources: Sources,
    /// Images in stores, with where each is named, fetched after the walk.
    remote: Vec<RemoteImage>,
}

/// A store image named in the manifest, waiting to be fetched.
struct RemoteImage {
    url: String,
    source: ImageSource,
    file: PathBuf,
    line: usize,
    what: String,
}

impl Checker {
    fn problem(&mut self, line: usize, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.clone(),
            line,
            message: message.into(),
        });
    }

    fn manifest(&mut self, path: &Path) -> Option<Manifest> {
        let text = match read_text_bounded("manifest", path, MAX_TEXT_BYTES) {
            Ok(text) => text,
            Err(e) => {
                self.problem(
                    1,
                    format!("cannot read the manifest: {}", e.problem.describe()),
                );
                return None;
            }
        };
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let parsed = if is_json {
            json_file::parse(&text)
        } else {
            toml_file::parse(&text)
        };
        let root = match parsed {
            Ok(root) => root,
            Err(errors) => {
                for (line, message) in errors {
                    self.problem(line, message);
                }
                return None;
            }
        };
        let base = path.parent().unwrap_or(Path::new("")).to_owned();
        let Value::Table(entries) = &root.value else {
            self.problem(root.line, "the manifest must be a table of keys");
            return None;
        };
        self.unknown_keys(entries, &TOP_KEYS, "the manifest");
        let name = self
            .string(entries, "name", "the manifest")
            .map(|(s, _)| s)
            .unwrap_or_else(|| {
                path.file_stem().map_or_else(
                    || "catalog".to_owned(),
                    |s| s.to_string_lossy().into_owned(),
                )
            });

        let models = match get(entries, "models") {
            Some((line, node)) => self
                .list(line, node, "models")
                .iter()
                .filter_map(|m| self.model(m, &base))
                .collect(),
            None => {
                self.problem(
                    root.line,
                    "no `models`: a manifest needs at least one model",
                );
                Vec::new()
            }
        };
        let mut products: Vec<Product> = match get(entries, "products") {
            Some((line, node)) => self
                .list(line, node, "products")
                .iter()
                .filter_map(|p| self.product(p, &base))
                .collect(),
            None => Vec::new(),
        };
        if let Some((csv_path, _)) = self.string(entries, "products_csv", "the manifest") {
            products.extend(self.csv_products(&base.join(csv_path), &base));
            self.file = path.to_owned();
        }
        if products.is_empty()
            && get(entries, "products").is_none()
            && get(entries, "products_csv").is_none()
        {
            self.problem(
                root.line,
                "no `products` and no `products_csv`: a manifest needs products",
            );
        }
        let generate = match get(entries, "generate") {
            Some((_, node)) => self.generate(node, &models, &products),
            None => Some(Generate::default()),
        };
        Some(Manifest {
            name,
            models,
            products,
            generate: generate?,
            max_image_bytes: self.max_image_bytes,
        })
    }

    fn csv_products(&mut self, csv_path: &Path, base: &Path) -> Vec<Product> {
        self.file = csv_path.to_owned();
        let text = match read_text_bounded("product CSV", csv_path, MAX_TEXT_BYTES) {
            Ok(text) => text,
            Err(e) => {
                self.problem(
                    1,
                    format!("cannot read the product CSV: {}", e.problem.describe()),
                );
                return Vec::new();
            }
        };
        let (rows, errors) = csv_file::parse(&text);
        for (line, message) in errors {
            self.problem(line, message);
        }
        rows.iter()
            .filter_map(|row| self.product(row, base))
            .collect()
    }

    fn list<'n>(&mut self, line: usize, node: &'n Node, what: &str) -> &'n [Node] {
        match &node.value {
            Value::Array(items) => items,
            other => {
                self.problem(
                    line,
                    format!("`{what}` must be a list, found {}", other.type_name()),
                );
                &[]
            }
        }
    }

    fn table<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n Entries> {
        match &node.value {
            Value::Table(entries) => Some(entries),
            other => {
                self.problem(
                    node.line,
                    format!("{what} must be a table, found {}", other.type_name()),
                );
                None
            }
        }
    }

    fn unknown_keys(&mut self, entries: &Entries, known: &[&str], what: &str) {
        for (key, line, _) in entries {
            if !known.contains(&key.as_str()) {
                self.problem(
                    *line,
                    format!(
                        "{what}: unknown key `{key}` (expected one of: {})",
                        known.join(", ")
                    ),
                );
            }
        }
    }

    /// An optional string field.
    fn string(&mut self, entries: &Entries, key: &str, what: &str) -> Option<(String, usize)> {
        let (_, node) = get(entries, key)?;
        match &node.value {
            Value::Str(s) if !s.trim().is_empty() => Some((s.trim().to_owned(), node.line)),
            Value::Str(_) => {
                self.problem(node.line, format!("{what}: `{key}` is empty"));
                None
            }
            Value::Int(n) => Some((n.to_string(), node.line)),
            other => {
                self.problem(
                    node.line,
                    format!(
                        "{what}: `{key}` must be a string, found {}",
                        other.type_name()
                    ),
                );
                None
            }
        }
    }

    /// A required string field.
    fn required(
        &mut self,
        entries: &Entries,
        line: usize,
        key: &str,
        what: &str,
    ) -> Option<(String, usize)> {
        if get(entries, key).is_none() {
            self.problem(line, format!("{what}: `{key}` is missing"));
            return None;
        }
        self.string(entries, key, what)
    }

    fn number(&mut self, entries: &Entries, key: &str, what: &str) -> Option<f64> {
        let (_, node) = get(entries, key)?;
        match node.value {
            Value::Int(n) => Some(n as f64),
            Value::Float(x) if x.is_finite() => Some(x),
            ref other => {
                self.problem(
                    node.line,
                    format!(
                        "{what}: `{key}` must be a number, found {}",
                        other.type_name()
                    ),
                );
                None
            }
        }
    }

    fn strings(
        &mut self,
        entries: &Entries,
        key: &str,
        what: &str,
    ) -> Option<Vec<(String, usize)>> {
        let (line, node) = get(entries, key)?;
        let items = self.list(line, node, key);
        let mut out = Vec::new();
        for item in items {
            match &item.value {
                Value::Str(s) => out.push((
                    s.trim().to_owned(),
                    if item.line == 0 { line } else { item.line },
                )),
                other => self.problem(
                    item.line.max(line),
                    format!(
                        "{what}: `{key}` items must be strings, found {}",
                        other.type_name()
                    ),
                ),
            }
        }
        Some(out)
    }

    /// A safe id: becomes a directory or file name in the output.
    fn id(&mut self, value: Option<(String, usize)>, what: &str) -> Option<String> {
        let (id, line) = value?;
        let ok = id.len() <= 100
            && !id.starts_with('.')
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            self.problem(line, format!("{what} `{id}` must be letters, digits, `-`, `_` or `.` (not first), at most 100"));
            return None;
        }
        // Ids name files and directories: ones that differ only in case would share them on
        // the file systems that ignore case (macOS, Windows), so they are duplicates too.
        let place = format!("{}:{line}", self.file.display());
        let (first, first_id) = self
            .seen
            .entry(format!("{what}\0{}", id.to_ascii_lowercase()))
            .or_insert((place.clone(), id.clone()))
            .clone();
        if first == place {
            Some(id)
        } else if first_id == id {
            self.problem(line, format!("duplicate {what} `{id}` (first at {first})"));
            None
        } else {
            self.problem(
                line,
                format!(
                    "{what} `{id}` differs from `{first_id}` (at {first}) only in case; their \
                     images would share files where case is ignored"
                ),
            );
            None
        }
    }

    fn model(&mut self, node: &Node, base: &Path) -> Option<Model> {
        let entries = self.table(node, "a model")?;
        let id = self.required(entries, node.line, "id", "model");
        let what = format!("model `{}`", id.as_ref().map_or("?", |(s, _)| s.as_str()));
        self.unknown_keys(entries, &MODEL_KEYS, &what);
        let id = self.id(id, "model id");
        let image = self
            .required(entries, node.line, "image", &what)
            .and_then(|(p, line)| self.image(&p, line, base, &what));
        let landmarks = match self.string(entries, "landmarks", &what) {
            Some((p, line)) => Some(self.landmarks(&p, line, base, &what)?),
            None => None,
        };
        let mut facts = Vec::new();
        for key in ["body_type", "size", "skin_tone"] {
            if let Some((value, _)) = self.string(entries, key, &what) {
                facts.push((key.replace('_', " "), value));
            }
        }
        if let Some(height) = self.number(entries, "height_cm", &what) {
            facts.push(("height".to_owned(), format!("{height} cm")));
        }
        let (image, image_digest) = image?;
        Some(Model {
            id: id?,
            image,
            image_digest,
            landmarks,
            facts,
        })
    }

    fn product(&mut self, node: &Node, base: &Path) -> Option<Product> {
        let entries = self.table(node, "a product")?;
        let sku = self.required(entries, node.line, "sku", "product");
        let what = format!(
            "product `{}`",
            sku.as_ref().map_or("?", |(s, _)| s.as_str())
        );
        self.unknown_keys(entries, &csv_file::COLUMNS, &what);
        let sku = self.id(sku, "SKU");
        let name = self.string(entries, "name", &what).map(|(s, _)| s);
        let category = match self.required(entries, node.line, "category", &what) {
            Some((c, line)) => match c.parse::<GarmentCategory>() {
                Ok(category) => Some(category),
                Err(e) => {
                    self.problem(
                        line,
                        format!(
                            "{what}: {}",
                            e.to_string().trim_start_matches("invalid input: ")
                        ),
                    );
                    None
                }
            },
            None => None,
        };
        let image = self
            .required(entries, node.line, "image", &what)
            .and_then(|(p, line)| self.image(&p, line, base, &what));
        let sizes = self
            .strings(entries, "sizes", &what)
            .unwrap_or_default()
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let colour = self.string(entries, "colour", &what).map(|(s, _)| s);
        let price = self.number(entries, "price", &what);
        let sku = sku?;
        let (image, image_digest) = image?;
        Some(Product {
            name: name.unwrap_or_else(|| sku.clone()),
            sku,
            category: category?,
            image,
            image_digest,
            sizes,
            colour,
            price,
        })
    }

    fn generate(
        &mut self,
        node: &Node,
        models: &[Model],
        products: &[Product],
    ) -> Option<Generate> {
        let entries = self.table(node, "`generate`")?;
        self.unknown_keys(entries, &GENERATE_KEYS, "generate");
        let known_models: BTreeSet<&str> = models.iter().map(|m| m.id.as_str()).collect();
        let known_skus: BTreeSet<&str> = products.iter().map(|p| p.sku.as_str()).collect();
        let mut generate = Generate::default();
        if let Some(ids) = self.strings(entries, "models", "generate") {
            for (id, line) in &ids {
                if !known_models.contains(id.as_str()) {
                    self.problem(*line, format!("generate: no model with id `{id}`"));
                }
            }
            generate.models = Some(ids.into_iter().map(|(s, _)| s).collect());
        }
        if let Some(skus) = self.strings(entries, "skus", "generate") {
            for (sku, line) in &skus {
                if !known_skus.contains(sku.as_str()) {
                    self.problem(*line, format!("generate: no product with SKU `{sku}`"));
                }
            }
            generate.skus = Some(skus.into_iter().map(|(s, _)| s).collect());
        }
        if let Some(categories) = self.strings(entries, "categories", "generate") {
            let mut parsed = Vec::new();
            for (c, line) in categories {
                match c.parse::<GarmentCategory>() {
                    Ok(category) => parsed.push(category),
                    Err(e) => self.problem(
                        line,
                        format!(
                            "generate: {}",
                            e.to_string().trim_start_matches("invalid input: ")
                        ),
                    ),
                }
            }
            generate.categories = Some(parsed);
        }
        let mut slugs: HashMap<String, String> = HashMap::new();
        for (variation, line) in self
            .strings(entries, "variations", "generate")
            .unwrap_or_default()
        {
            match parse_variation(&variation) {
                // Each variation's image is named by its slug.
                Some(style) => match slugs.get(&style.slug()) {
                    Some(first) => self.problem(
                        line,
                        format!(
                            "generate: variations `{first}` and `{variation}` would both be \
                             written as `{}`",
                            style.slug()
                        ),
                    ),
                    None => {
                        slugs.insert(style.slug(), variation.clone());
                        generate.variations.push(style);
                    }
                },
                None => self.problem(
                    line,
                    format!("generate: unknown variation `{variation}` (casual, formal, party, color:NAME, background:WORDS)"),
                ),
            }
        }
        Some(generate)
    }

    /// Resolves, reads, sniffs and hashes an image; its source and digest. A store image is
    /// only noted here (its digest is empty until [`Self::fetch_remote`] fills it in).
    fn image(
        &mut self,
        reference: &str,
        line: usize,
        base: &Path,
        what: &str,
    ) -> Option<(ImageSource, String)> {
        let source = match self.sources.resolve(reference, base) {
            Ok(source) => source,
            Err(reason) => {
                self.problem(line, format!("{what}: image {reason}"));
                return None;
            }
        };
        let path = match &source {
            ImageSource::File(path) => path.clone(),
            ImageSource::Object(_) => {
                self.remote.push(RemoteImage {
                    url: source.to_string(),
                    source: source.clone(),
                    file: self.file.clone(),
                    line,
                    what: what.to_owned(),
                });
                return Some((source, String::new()));
            }
        };
        let max_bytes = self.max_image_bytes;
        let digest = self
            .digests
            .entry(path.display().to_string())
            .or_insert_with(|| {
                read_bounded("image", &path, max_bytes)
                    .map_err(|e| e.problem.describe())
                    .and_then(|bytes| image_digest(&bytes))
            })
            .clone();
        match digest {
            Ok(digest) => Some((source, digest)),
            Err(reason) => {
                self.problem(line, format!("{what}: image {}: {reason}", path.display()));
                None
            }
        }
    }

    /// Fetches every store image (each URL once, several at a time), reports those that cannot
    /// be used at every line naming them, and fills in the digests of the others.
    async fn fetch_remote(&mut self, manifest: Option<&mut Manifest>) {
        let mut seen = BTreeSet::new();
        let urls: Vec<&RemoteImage> = self
            .remote
            .iter()
            .filter(|image| seen.insert(image.url.as_str()))
            .collect();
        let max_bytes = self.max_image_bytes;
        let fetched: Vec<(String, Result<String, String>)> = futures::stream::iter(urls)
            .map(|image| async move {
                let digest = image
                    .source
                    .read(max_bytes)
                    .await
                    .and_then(|bytes| image_digest(&bytes));
                (image.url.clone(), digest)
            })
            .buffer_unordered(FETCHES_AT_ONCE)
            .collect()
            .await;
        self.digests.extend(fetched);
        for image in std::mem::take(&mut self.remote) {
            if let Some(Err(reason)) = self.digests.get(&image.url) {
                self.problems.push(Problem {
                    file: image.file,
                    line: image.line,
                    message: format!("{}: image {}: {reason}", image.what, image.url),
                });
            }
        }
        let Some(manifest) = manifest else { return };
        let images = manifest
            .models
            .iter_mut()
            .map(|m| (&m.image, &mut m.image_digest))
            .chain(
                manifest
                    .products
                    .iter_mut()
                    .map(|p| (&p.image, &mut p.image_digest)),
            );
        for (source, digest) in images {
            if let Some(Ok(fetched)) = source.url().and_then(|url| self.digests.get(url)) {
                digest.clone_from(fetched);
            }
        }
    }

    fn landmarks(
        &mut self,
        reference: &str,
        line: usize,
        base: &Path,
        what: &str,
    ) -> Option<BodyLandmarks> {
        let path = self.local(reference, line, base, what)?;
        let parsed = read_bounded("landmarks", &path, MAX_SMALL_TEXT_BYTES)
            .map_err(|e| e.problem.describe())
            .and_then(|bytes| {
                serde_json::from_slice::<BodyLandmarks>(&bytes).map_err(|e| e.to_string())
            });
        match parsed {
            Ok(landmarks) => Some(landmarks),
            Err(reason) => {
                self.problem(
                    line,
                    format!("{what}: landmarks {}: {reason}", path.display()),
                );
                None
            }
        }
    }

    /// A local path (relative to the manifest) or a `file://` URL, for landmarks files.
    fn local(&mut self, reference: &str, line: usize, base: &Path, what: &str) -> Option<PathBuf> {
        if let Some(path) = reference.strip_prefix("file://") {
            return Some(PathBuf::from(path));
        }
        if let Some((scheme, _)) = reference.split_once("://") {
            self.problem(
                line,
                format!(
                    "{what}: landmarks must be a local file or a file:// URL, not `{scheme}://`"
                ),
            );
            return None;
        }
        Some(base.join(reference))
    }
}

fn get<'a>(entries: &'a Entries, key: &str) -> Option<(usize, &'a Node)> {
    entries
        .iter()
        .find(|(k, _, _)| k == key)
        .map(|(_, line, node)| (*line, node))
}

/// `casual`, `formal`, `party`, `color:NAME`, `background:WORDS`.
pub fn parse_variation(text: &str) -> Option<Style> {
    match text.split_once(':') {
        None => match text {
            "casual" => Some(Style::Casual),
            "formal" => Some(Style::Formal),
            "party" => Some(Style::Party),
            _ => None,
        },
        Some(("color" | "colour", c)) if !c.trim().is_empty() => Some(Style::ColorVariant {
            color: c.trim().to_owned(),
        }),
        Some(("background", d)) if !d.trim().is_empty() => Some(Style::Background {
            description: d.trim().to_owned(),
        }),
        Some(_) => None,
    }
}

/// Checks an image is JPEG, PNG or WebP by its first bytes, and hashes it.
fn image_digest(bytes: &[u8]) -> Result<String, String> {
    let is_image = bytes.starts_with(&[0xff, 0xd8, 0xff])
        || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || (bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP"));
    if !is_image {
        return Err("not a JPEG, PNG or WebP image".to_owned());
    }
    Ok(blake3::hash(bytes).to_hex().to_string())
}
