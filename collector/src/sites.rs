//! Site configs loaded with `--config`: which sites the collector accepts events for.
//!
//! With no config loaded every well-formed site id is accepted (the local demo); with at least
//! one, events for other sites are refused with 404, so a typo in a snippet's config shows up
//! at once instead of filling the database with an orphan site.
//!
//! Only the `site` field is read here for now; the full model lives in `ringtrail::config` and
//! its validated form can be kept beside the raw JSON when leases need pools.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::event::is_valid_site_id;

/// One loaded config file.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// Site id.
    pub site: String,
    /// The file it came from.
    pub path: PathBuf,
    /// The whole config as JSON.
    pub json: Value,
}

/// Configs by site id.
#[derive(Debug, Clone, Default)]
pub struct Sites {
    by_id: BTreeMap<String, SiteConfig>,
}

/// Why configs could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SitesError {
    /// The file or directory cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// File or directory.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not a config.
    #[error("{path}: {message}")]
    Invalid {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Sites {
    /// No configs: every site accepted.
    pub fn open() -> Self {
        Sites::default()
    }

    /// Loads each path: a `.json` file, or a directory whose `*.json` files are loaded (sorted,
    /// not recursive).
    ///
    /// # Errors
    /// On an unreadable path, invalid JSON, a missing or malformed `site`, or two files for the
    /// same site.
    pub fn load(paths: &[PathBuf]) -> Result<Self, SitesError> {
        let mut sites = Sites::default();
        for path in paths {
            let io = |source| SitesError::Io {
                path: path.clone(),
                source,
            };
            if path.is_dir() {
                let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                    .map_err(io)?
                    .filter_map(|entry| entry.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|ext| ext == "json") && p.is_file())
                    .collect();
                files.sort();
                for file in files {
                    sites.insert(load_file(&file)?)?;
                }
            } else {
                sites.insert(load_file(path)?)?;
            }
        }
        Ok(sites)
    }

    fn insert(&mut self, config: SiteConfig) -> Result<(), SitesError> {
        if let Some(existing) = self.by_id.get(&config.site) {
            return Err(SitesError::Invalid {
                path: config.path.clone(),
                message: format!(
                    "site {:?} is already configured by {}",
                    config.site,
                    existing.path.display()
                ),
            });
        }
        self.by_id.insert(config.site.clone(), config);
        Ok(())
    }

    /// Adds a config built in code (tests).
    pub fn with(mut self, site: &str, json: Value) -> Self {
        self.by_id.insert(
            site.to_owned(),
            SiteConfig {
                site: site.to_owned(),
                path: PathBuf::new(),
                json,
            },
        );
        self
    }

    /// Whether events for `site` are accepted.
    pub fn accepts(&self, site: &str) -> bool {
        self.by_id.is_empty() || self.by_id.contains_key(site)
    }

    /// The config for a site.
    pub fn get(&self, site: &str) -> Option<&SiteConfig> {
        self.by_id.get(site)
    }

    /// Configured site ids, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.by_id.keys().map(String::as_str)
    }

    /// Whether no config is loaded.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

fn load_file(path: &Path) -> Result<SiteConfig, SitesError> {
    let text = std::fs::read_to_string(path).map_err(|source| SitesError::Io {
        path: path.to_owned(),
        source,
    })?;
    let invalid = |message: String| SitesError::Invalid {
        path: path.to_owned(),
        message,
    };
    let json: Value = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let site = match json.get("site") {
        Some(Value::String(site)) if is_valid_site_id(site) => site.clone(),
        Some(Value::String(_)) => {
            return Err(invalid(
                "site: expected lowercase letters, digits, '-' and '_'".into(),
            ))
        }
        _ => return Err(invalid("site: missing; expected a string".into())),
    };
    Ok(SiteConfig {
        site,
        path: path.to_owned(),
        json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_files_and_directories() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            path
        };
        write("a.json", r#"{"site": "shop-a", "region": "JP"}"#);
        write("b.json", r#"{"site": "shop-b"}"#);
        write("notes.txt", "not a config");
        let sites = Sites::load(&[dir.path().to_owned()]).expect("load");
        assert_eq!(sites.ids().collect::<Vec<_>>(), ["shop-a", "shop-b"]);
        assert!(sites.accepts("shop-a"));
        assert!(!sites.accepts("shop-c"));
        assert!(Sites::open().accepts("anything"));

        let again = write("c.json", r#"{"site": "shop-a"}"#);
        let err = Sites::load(&[dir.path().to_owned()]).expect_err("duplicate");
        assert!(err.to_string().contains("already configured"), "{err}");
        std::fs::remove_file(again).expect("remove");

        let bad = write("bad.json", r#"{"site": "Shop A"}"#);
        let err = Sites::load(&[bad]).expect_err("bad site id");
        assert!(err
            .to_string()
            .ends_with("site: expected lowercase letters, digits, '-' and '_'"));
        let err = Sites::load(&[dir.path().join("missing.json")]).expect_err("missing");
        assert!(err.to_string().contains("missing.json"));
    }
}
