//! Test harness shared by the integration tests of every crate.
//!
//! [`Mcpd::start`] runs the real `mcpd` binary with a temporary `$MCPCTL_HOME` on a free
//! port, on a fresh SQLite file or a fresh PostgreSQL database (created on the server named by
//! `MCPCTL_TEST_POSTGRES_URL`, dropped afterwards). [`for_each_backend!`] turns one test
//! function into one test per backend, so the whole suite runs against both.
//! [`test_server_image`] builds (once) a Docker image of the project's `mcp-test-server`.
//! [`peers`] finds the third-party servers and clients the tests run (Python venv, npm).
#![allow(clippy::unwrap_used)]

pub mod peers;
mod test_server_image;

pub use test_server_image::{
    TEST_SERVER_BINARY, TEST_SERVER_REPOSITORY, require_docker, test_server_image,
};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

/// The database a test daemon uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Environment variable naming a PostgreSQL server tests may create databases on, as a URL
/// to its maintenance database, e.g. `postgres://mcpctl:mcpctl@127.0.0.1:5432/postgres`.
pub const POSTGRES_URL_VAR: &str = "MCPCTL_TEST_POSTGRES_URL";

/// A random lowercase suffix for names that must not collide between parallel tests.
pub fn unique_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}

/// A free loopback port (bound, then released for a server to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where the workspace's binaries are: beside the test executable's `deps/` folder, unless
/// `NAME_BIN` (upper case, `-` as `_`: `MCPD_BIN`, `MCP_TEST_SERVER_BIN`) names the file.
pub fn binary(name: &str) -> PathBuf {
    let var = format!("{}_BIN", name.to_uppercase().replace('-', "_"));
    if let Some(path) = std::env::var_os(&var) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built; run `cargo build --workspace --bins` first (cargo xtask test does), or set {var}",
        path.display()
    );
    path
}

fn block_on<F: std::future::Future<Output = T> + Send + 'static, T: Send + 'static>(
    future: F,
) -> T {
    // A thread of its own, so this works inside and outside an async test.
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    })
    .join()
    .unwrap()
}

/// A PostgreSQL database created for one test and dropped with it.
#[derive(Debug)]
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PostgresDatabase {
    pub fn create() -> PostgresDatabase {
        let admin_url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
            panic!(
                "{POSTGRES_URL_VAR} is not set: the PostgreSQL half of the suite needs a server \
                 (`cargo xtask test` starts the local cluster and sets it)"
            )
        });
        let name = format!("mcpctl_test_{}", unique_suffix());
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        let (admin, db) = (admin_url.clone(), name.clone());
        block_on(async move {
            let mut conn = AsyncPgConnection::establish(&admin).await.unwrap();
            conn.batch_execute(&format!("CREATE DATABASE {db}"))
                .await
                .unwrap();
        });
        PostgresDatabase {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let (admin, db) = (self.admin_url.clone(), self.name.clone());
        block_on(async move {
            if let Ok(mut conn) = AsyncPgConnection::establish(&admin).await {
                let _ = conn
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                    .await;
            }
        });
    }
}

/// A running mcpd with its own home folder and database; killed when dropped.
#[derive(Debug)]
pub struct Mcpd {
    pub url: String,
    pub home: tempfile::TempDir,
    pub database_url: String,
    child: Child,
    _postgres: Option<PostgresDatabase>,
}

impl Mcpd {
    pub fn start(backend: Backend) -> Mcpd {
        let home = tempfile::tempdir().unwrap();
        let postgres = (backend == Backend::Postgres).then(PostgresDatabase::create);
        let database_url = match &postgres {
            Some(db) => db.url.clone(),
            None => home.path().join("mcpd.db").display().to_string(),
        };
        let (child, url) = spawn(home.path(), &database_url, "127.0.0.1:0");
        Mcpd {
            url,
            home,
            database_url,
            child,
            _postgres: postgres,
        }
    }

    pub fn home_path(&self) -> &Path {
        self.home.path()
    }

    /// What mcpd wrote to stderr so far (its log).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.home.path().join("mcpd.log")).unwrap_or_default()
    }

    /// Kills mcpd without warning and starts it again on the same home, database and port.
    pub fn kill_and_restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let addr = self.url.trim_start_matches("http://").to_owned();
        let (child, url) = spawn(self.home.path(), &self.database_url, &addr);
        self.child = child;
        self.url = url;
    }
}

fn spawn(home: &Path, database_url: &str, listen: &str) -> (Child, String) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(home.join("mcpd.log"))
        .unwrap();
    let mut child = Command::new(binary("mcpd"))
        .arg("--listen")
        .arg(listen)
        .arg("--database-url")
        .arg(database_url)
        .env("MCPCTL_HOME", home)
        .env("MCPD_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(line)) = lines.next() {
            let _ = tx.send(line);
        }
        // Keep draining so mcpd never blocks on a full pipe.
        for _ in lines {}
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(line) => {
            let url = line
                .strip_prefix("mcpd listening on ")
                .unwrap_or_else(|| panic!("unexpected first line from mcpd: {line}"))
                .to_owned();
            (child, url)
        }
        Err(_) => {
            let _ = child.kill();
            let log = std::fs::read_to_string(home.join("mcpd.log")).unwrap_or_default();
            panic!("mcpd did not become ready within 30 s; its log:\n{log}");
        }
    }
}

impl Mcpd {
    /// Asks mcpd to stop (SIGTERM) and waits for it; kills it if it takes over 10 s.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Mcpd {
    /// A graceful stop, so that mcpd stops the server processes it started.
    fn drop(&mut self) {
        self.stop();
    }
}

/// For each `name`, generates `#[test] fn name_sqlite()` and `fn name_postgres()` that call
/// `name(Backend::Sqlite)` and `name(Backend::Postgres)`.
#[macro_export]
macro_rules! for_each_backend {
    ($($name:ident),* $(,)?) => {
        $crate::paste_backend_tests!($($name),*);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! paste_backend_tests {
    ($($name:ident),*) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name($crate::Backend::Sqlite)
                }
                #[test]
                fn postgres() {
                    super::$name($crate::Backend::Postgres)
                }
            }
        )*
    };
}

impl Mcpd {
    /// The `spec` column of every stored row, read straight from the database: what an
    /// attacker with a copy of the database would see.
    pub fn raw_specs(&self) -> Vec<String> {
        use diesel::RunQueryDsl as _;
        use diesel::sql_types::Text;
        #[derive(diesel::QueryableByName)]
        struct Spec {
            #[diesel(sql_type = Text)]
            spec: String,
        }
        const QUERY: &str = "SELECT spec FROM resources";
        if self._postgres.is_some() {
            let url = self.database_url.clone();
            block_on(async move {
                let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
                let rows: Vec<Spec> =
                    diesel_async::RunQueryDsl::load(diesel::sql_query(QUERY), &mut conn)
                        .await
                        .unwrap();
                rows.into_iter().map(|r| r.spec).collect()
            })
        } else {
            use diesel::Connection as _;
            let mut conn = diesel::SqliteConnection::establish(&self.database_url).unwrap();
            let rows: Vec<Spec> = diesel::sql_query(QUERY).load(&mut conn).unwrap();
            rows.into_iter().map(|r| r.spec).collect()
        }
    }
}
