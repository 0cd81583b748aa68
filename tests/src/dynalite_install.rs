//! dynalite comes with the tests: the first test that needs it runs `npm ci` in `tests/dynamodb`
//! (the versions in its `package-lock.json`), once, under a file lock, so that test binaries
//! running in parallel neither race nor install twice. Without Node.js the test fails saying so.

use std::ffi::OsStr;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

const HOW_TO_INSTALL_NODE: &str = "install Node.js 18 or later with npm (https://nodejs.org/en/download, or \
     `apt-get install nodejs npm`), then run `cargo test` again";

/// Makes sure `folder/node_modules` holds the dynalite that `folder/package.json` names,
/// installing it on first use. `path`: the `PATH` to find `node` and `npm` on (the process's
/// own when `None`). The error says what is missing and how to get it.
pub fn ensure_dynalite(folder: &Path, path: Option<&OsStr>) -> Result<(), String> {
    if installed(folder) {
        return Ok(());
    }
    for tool in ["node", "npm"] {
        check_tool(tool, path)?;
    }
    let lock_path = folder.join(".install.lock");
    let lock = File::create(&lock_path).map_err(|error| format!("{}: {error}", lock_path.display()))?;
    lock.lock().map_err(|error| format!("locking {}: {error}", lock_path.display()))?;
    // Another test binary may have installed it while this one waited for the lock.
    if installed(folder) {
        return Ok(());
    }
    eprintln!("installing dynalite for the DynamoDB tests: npm ci --prefix {} (once)", folder.display());
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund", "--prefix"]).arg(folder).stdin(Stdio::null());
    if let Some(path) = path {
        npm.env("PATH", path);
    }
    let output = npm.output().map_err(|error| format!("npm: {error}; {HOW_TO_INSTALL_NODE}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("`npm ci --prefix {}` failed ({}):\n{stderr}", folder.display(), output.status));
    }
    if installed(folder) { Ok(()) } else { Err("`npm ci` succeeded but dynalite is not in node_modules".to_owned()) }
}

/// The installed dynalite is the version `package.json` asks for.
fn installed(folder: &Path) -> bool {
    let read = |path: &Path| -> Option<Value> { serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok() };
    let wanted = read(&folder.join("package.json")).map(|package| package["dependencies"]["dynalite"].clone());
    let found = read(&folder.join("node_modules/dynalite/package.json")).map(|package| package["version"].clone());
    matches!((wanted, found), (Some(Value::String(wanted)), Some(Value::String(found))) if wanted == found)
}

/// `tool --version` runs (and for `node`, says 18 or later, as dynalite 4 requires).
fn check_tool(tool: &str, path: Option<&OsStr>) -> Result<(), String> {
    let mut command = Command::new(tool);
    command.arg("--version").stdin(Stdio::null()).stderr(Stdio::null());
    if let Some(path) = path {
        command.env("PATH", path);
    }
    let output = command.output().map_err(|_| {
        format!(
            "`{tool}` is not on PATH: the DynamoDB tests run dynalite, a DynamoDB-protocol server on Node.js; \
             {HOW_TO_INSTALL_NODE}"
        )
    })?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() {
        return Err(format!("`{tool} --version` failed ({}); {HOW_TO_INSTALL_NODE}", output.status));
    }
    let major = version.trim_start_matches('v').split('.').next().and_then(|major| major.parse::<u32>().ok());
    if tool == "node" && major.is_some_and(|major| major < 18) {
        return Err(format!("Node.js {version} is too old for dynalite 4; {HOW_TO_INSTALL_NODE}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_node_the_error_names_node_js_and_how_to_install_it() {
        let folder = crate::temp_dir::TempDir::new("dynalite-install");
        std::fs::write(folder.path().join("package.json"), r#"{"dependencies": {"dynalite": "4.0.0"}}"#).unwrap();
        let error = ensure_dynalite(folder.path(), Some(OsStr::new(""))).unwrap_err();
        assert!(error.contains("`node` is not on PATH") && error.contains("Node.js 18"), "{error}");
        assert!(error.contains("https://nodejs.org/en/download"), "{error}");
        assert!(!folder.path().join("node_modules").exists(), "nothing installed");
    }

    #[test]
    fn an_installed_dynalite_of_another_version_is_not_taken() {
        let folder = crate::temp_dir::TempDir::new("dynalite-version");
        std::fs::write(folder.path().join("package.json"), r#"{"dependencies": {"dynalite": "4.0.0"}}"#).unwrap();
        std::fs::create_dir_all(folder.path().join("node_modules/dynalite")).unwrap();
        let installed_as = |version: &str| {
            let manifest = format!(r#"{{"name": "dynalite", "version": "{version}"}}"#);
            std::fs::write(folder.path().join("node_modules/dynalite/package.json"), manifest).unwrap();
            installed(folder.path())
        };
        assert!(!installed_as("3.2.2"));
        assert!(installed_as("4.0.0"));
    }
}
