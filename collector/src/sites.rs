//! Site configs loaded with `--config`: which sites the collector accepts events for.
//!
//! With no config loaded every well-formed site id is accepted (the local demo); with at least
//! one, events for other sites are refused with 404, so a typo in a snippet's config shows up
//! at once instead of filling the database with an orphan site.
//!
//! Each file is validated with the snippet's own parser (`ringtrail::config::Config::from_json`),
//! so the collector, `ringtrail check` and the browser agree on what a config means. Pool numbers
//! must belong to one pool of one site: a call to a pool number is attributed through its lease,
//! so a number shared by two pools (or two sites) could not say whose visitor called.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ringtrail::config::Config;
use serde_json::Value;

/// One loaded config file.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// Site id.
    pub site: String,
    /// The file it came from.
    pub path: PathBuf,
    /// The config compiled for the snippet, as the JSON string `GET /v1/config/{site}` serves
    /// ([`crate::check::compiled_json`]): made once, at load.
    pub compiled_json: Arc<str>,
    /// The validated config.
    pub config: Arc<Config>,
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
    /// The config does not validate: every error, each with its JSON path and hint.
    #[error("{path}: {} error(s):\n  {}", errors.len(), errors.join("\n  "))]
    Config {
        /// File.
        path: PathBuf,
        /// `ConfigError::describe()` of each error.
        errors: Vec<String>,
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
        let invalid = |message: String| SitesError::Invalid {
            path: config.path.clone(),
            message,
        };
        if let Some(existing) = self.by_id.get(&config.site) {
            return Err(invalid(format!(
                "site {:?} is already configured by {}",
                config.site,
                existing.path.display()
            )));
        }
        // A pool number must be leased by one pool only, or a call to it is ambiguous.
        let mut seen: BTreeMap<String, (String, String)> = BTreeMap::new();
        for other in self.by_id.values() {
            for (pool, number) in pool_numbers(&other.config) {
                seen.insert(number, (other.site.clone(), pool));
            }
        }
        for (pool, number) in pool_numbers(&config.config) {
            if let Some((site, other_pool)) = seen.get(&number) {
                return Err(invalid(format!(
                    "pools.{pool}: number {number} is also in pool {other_pool:?} of site {site:?}; \
                     a pool number must belong to one pool"
                )));
            }
            seen.insert(number, (config.site.clone(), pool));
        }
        self.by_id.insert(config.site.clone(), config);
        Ok(())
    }

    /// Adds a config built in code (tests). JSON that is not a valid config keeps only the site
    /// id: events for it are accepted, but it has no numbers and no pools.
    pub fn with(mut self, site: &str, json: Value) -> Self {
        let text = json.to_string();
        let config = Config::from_json(&text).unwrap_or_else(|_| bare_config(site));
        self.by_id.insert(
            site.to_owned(),
            SiteConfig {
                site: site.to_owned(),
                path: PathBuf::new(),
                compiled_json: crate::check::compiled_json(&config).into(),
                config: Arc::new(config),
            },
        );
        self
    }

    /// Adds a config from its JSON text, validated like a file (tests, tools).
    ///
    /// # Errors
    /// As [`Sites::load`] for one file.
    pub fn with_json(mut self, text: &str) -> Result<Self, SitesError> {
        let config = parse_config(Path::new("(inline)"), text)?;
        self.insert(config)?;
        Ok(self)
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

/// `(pool name, E.164)` of every pool number of a config.
fn pool_numbers(config: &Config) -> impl Iterator<Item = (String, String)> + '_ {
    config.pools.iter().flat_map(|(name, pool)| {
        pool.numbers
            .iter()
            .map(move |n| (name.clone(), n.number.e164()))
    })
}

/// A config with a site id and nothing else.
fn bare_config(site: &str) -> Config {
    Config {
        site: site.to_owned(),
        region: ringtrail::phone::Region::US,
        targets: Vec::new(),
        sources: Vec::new(),
        referrer_groups: String::new(),
        default: None,
        pools: Vec::new(),
        attribution: Default::default(),
        noswap: Vec::new(),
        triggers: Vec::new(),
        leads: Default::default(),
        privacy: Default::default(),
        tracking: Default::default(),
    }
}

fn load_file(path: &Path) -> Result<SiteConfig, SitesError> {
    let text = std::fs::read_to_string(path).map_err(|source| SitesError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_config(path, &text)
}

fn parse_config(path: &Path, text: &str) -> Result<SiteConfig, SitesError> {
    let config = Config::from_json(text).map_err(|errors| SitesError::Config {
        path: path.to_owned(),
        errors: errors.iter().map(|e| e.describe()).collect(),
    })?;
    Ok(SiteConfig {
        site: config.site.clone(),
        path: path.to_owned(),
        compiled_json: crate::check::compiled_json(&config).into(),
        config: Arc::new(config),
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
        write(
            "a.json",
            r#"{"site": "shop-a", "region": "JP", "targets": ["03-1234-5678"]}"#,
        );
        write(
            "b.json",
            r#"{"site": "shop-b", "region": "US", "targets": ["(415) 555-0100"]}"#,
        );
        write("notes.txt", "not a config");
        let sites = Sites::load(&[dir.path().to_owned()]).expect("load");
        assert_eq!(sites.ids().collect::<Vec<_>>(), ["shop-a", "shop-b"]);
        assert!(sites.accepts("shop-a"));
        assert!(!sites.accepts("shop-c"));
        assert!(Sites::open().accepts("anything"));

        let again = write(
            "c.json",
            r#"{"site": "shop-a", "region": "JP", "targets": ["03-1234-5678"]}"#,
        );
        let err = Sites::load(&[dir.path().to_owned()]).expect_err("duplicate");
        assert!(err.to_string().contains("already configured"), "{err}");
        std::fs::remove_file(again).expect("remove");

        let bad = write("bad.json", r#"{"site": "Shop A", "region": "XX"}"#);
        let err = Sites::load(&[bad]).expect_err("bad site id");
        let SitesError::Config { errors, .. } = &err else {
            panic!("{err}");
        };
        let mut errors = errors.clone();
        errors.sort();
        assert_eq!(
            errors,
            [
                "region: unsupported region (one of JP, US, CA, GB, FR, DE)",
                "site: use lowercase letters, digits, '-' and '_' (at most 64)",
                "targets: required (the site's own numbers, as displayed)",
            ],
            "every error, each with its path"
        );
        assert!(err.to_string().contains("3 error(s):\n  "), "{err}");
        let err = Sites::load(&[dir.path().join("missing.json")]).expect_err("missing");
        assert!(err.to_string().contains("missing.json"));
    }

    #[test]
    fn a_pool_number_belongs_to_one_pool() {
        let config = |site: &str, pools: &str| {
            format!(
                r#"{{"site": "{site}", "region": "JP", "targets": ["03-1234-5678"],
                    "pools": {pools}}}"#
            )
        };
        let one = config(
            "a",
            r#"{"p": {"numbers": ["03-5555-0001"], "fallback": "03-5555-0000"}}"#,
        );
        let sites = Sites::open().with_json(&one).expect("valid");
        let again = config(
            "b",
            r#"{"q": {"numbers": ["+81 3 5555 0001"], "fallback": "03-5555-0000"}}"#,
        );
        let err = sites.with_json(&again).expect_err("shared");
        assert!(
            err.to_string()
                .contains("number +81355550001 is also in pool \"p\" of site \"a\""),
            "{err}"
        );
        let two_pools = config(
            "c",
            r#"{"p": {"numbers": ["03-5555-0001"], "fallback": "03-5555-0000"},
                "q": {"numbers": ["03-5555-0001"], "fallback": "03-5555-0000"}}"#,
        );
        assert!(Sites::open().with_json(&two_pools).is_err());
    }
}
