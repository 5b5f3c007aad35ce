//! The parts of `spin.toml` (manifest version 2) a Spin host acts on for one HTTP component.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    spin_manifest_version: u32,
    #[serde(default)]
    variables: HashMap<String, Variable>,
    #[serde(default)]
    trigger: Triggers,
    #[serde(default)]
    component: HashMap<String, ComponentFile>,
}

#[derive(Deserialize, Default)]
struct Triggers {
    #[serde(default)]
    http: Vec<HttpTrigger>,
}

#[derive(Deserialize)]
struct HttpTrigger {
    component: String,
}

/// An application variable.
#[derive(Deserialize, Clone)]
pub struct Variable {
    /// Its value when none is given.
    #[serde(default)]
    pub default: Option<String>,
    /// Whether a value must be given.
    #[serde(default)]
    pub required: bool,
}

#[derive(Deserialize)]
struct ComponentFile {
    source: String,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    variables: HashMap<String, String>,
}

/// The manifest, as it concerns the HTTP trigger's component.
pub struct Manifest {
    /// The application's variables.
    pub variables: HashMap<String, Variable>,
    /// The component's Wasm file, relative to the manifest.
    pub source: String,
    /// The SQLite databases the component may open.
    pub sqlite_databases: Vec<String>,
    allowed_outbound_hosts: Vec<String>,
    component_variables: HashMap<String, String>,
}

impl Manifest {
    /// Reads `path`.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file: File =
            toml::from_str(&text).map_err(|e| format!("{} does not read: {e}", path.display()))?;
        if file.spin_manifest_version != 2 {
            return Err(format!(
                "spin_manifest_version {} (this host reads 2)",
                file.spin_manifest_version
            ));
        }
        let trigger = file
            .trigger
            .http
            .first()
            .ok_or("the manifest has no [[trigger.http]]")?;
        let mut components = file.component;
        let component = components
            .remove(&trigger.component)
            .ok_or_else(|| format!("no [component.{}]", trigger.component))?;
        Ok(Self {
            variables: file.variables,
            source: component.source,
            sqlite_databases: component.sqlite_databases,
            allowed_outbound_hosts: component.allowed_outbound_hosts,
            component_variables: component.variables,
        })
    }

    /// The value of application variable `name`, given or by default.
    fn value(&self, name: &str, given: &HashMap<String, String>) -> Result<String, String> {
        let variable = self
            .variables
            .get(name)
            .ok_or_else(|| format!("variable {name:?} is not declared in [variables]"))?;
        match (given.get(name), &variable.default) {
            (Some(v), _) => Ok(v.clone()),
            (None, Some(d)) => Ok(d.clone()),
            (None, None) if variable.required => {
                Err(format!("variable {name:?} is required and was not given"))
            }
            (None, None) => Ok(String::new()),
        }
    }

    /// `template` with each `{{ name }}` replaced by that variable's value.
    fn expand(&self, template: &str, given: &HashMap<String, String>) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find("}}")
                .ok_or_else(|| format!("unclosed {{{{ in {template:?}"))?;
            let name = rest[start + 2..start + end].trim();
            out.push_str(&self.value(name, given)?);
            rest = &rest[start + end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The component's variables, their templates expanded. Given values that name no
    /// declared variable are refused, as Spin refuses them.
    pub fn component_variables(
        &self,
        given: &HashMap<String, String>,
    ) -> Result<HashMap<String, String>, String> {
        if let Some(unknown) = given.keys().find(|k| !self.variables.contains_key(*k)) {
            return Err(format!(
                "variable {unknown:?} is not declared in [variables]"
            ));
        }
        self.component_variables
            .iter()
            .map(|(k, template)| Ok((k.clone(), self.expand(template, given)?)))
            .collect()
    }

    /// The origins (`scheme://host[:port]`) the component may call; an entry that expands to
    /// nothing allows nothing.
    pub fn allowed_hosts(&self, given: &HashMap<String, String>) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for entry in &self.allowed_outbound_hosts {
            let expanded = self.expand(entry, given)?;
            if expanded.trim().is_empty() {
                continue;
            }
            out.push(origin(&expanded).ok_or_else(|| {
                format!("allowed_outbound_hosts entry {expanded:?} is not scheme://host[:port]")
            })?);
        }
        Ok(out)
    }
}

/// `scheme://host:port` of `url`, its port made explicit.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?']).next()?;
    if authority.is_empty() {
        return None;
    }
    let default_port = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    Some(
        if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            format!("{scheme}://{authority}")
        } else {
            format!("{scheme}://{authority}:{default_port}")
        },
    )
}
