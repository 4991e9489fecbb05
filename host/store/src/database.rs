//! Opening the database (embedded SQLite or PostgreSQL), pooling connections and migrating.

use diesel::SqliteConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, SimpleAsyncConnection,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures_util::FutureExt;

use crate::error::StoreError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

pub(crate) type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// Which database a store sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// The backend a database URL names: `postgres://` or `postgresql://` for PostgreSQL,
    /// anything else (a path, `sqlite://path`, `file:`) for SQLite.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// A pool of connections to one of the two backends.
pub(crate) enum Database {
    Sqlite(Pool<SqliteConn>),
    Postgres(Pool<AsyncPgConnection>),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.backend().as_str())
    }
}

/// Per-connection settings for SQLite, busy timeout first: the 5 s wait then also covers the
/// moments another connection holds the lock (a checkpoint, a writer).
const SQLITE_CONNECTION: &str = "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";
/// Once per database (it is stored in the file): WAL lets readers run beside the writer.
const SQLITE_DATABASE: &str = "PRAGMA journal_mode = WAL;";

impl Database {
    pub fn backend(&self) -> Backend {
        match self {
            Database::Sqlite(_) => Backend::Sqlite,
            Database::Postgres(_) => Backend::Postgres,
        }
    }

    /// Opens a pool on `url` and applies pending migrations.
    pub async fn open(url: &str, max_connections: usize) -> Result<Database, StoreError> {
        let connect_error = |message: String| StoreError::Connect {
            url: redact(url),
            message,
        };
        match Backend::of_url(url) {
            Backend::Postgres => {
                // Connect once outside the pool so a wrong URL fails with the server's words.
                let conn = AsyncPgConnection::establish(url)
                    .await
                    .map_err(|e| connect_error(e.to_string()))?;
                migrate(conn, POSTGRES_MIGRATIONS).await?;
                let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
                let pool = Pool::builder(manager)
                    .max_size(max_connections)
                    .build()
                    .map_err(|e| connect_error(e.to_string()))?;
                Ok(Database::Postgres(pool))
            }
            Backend::Sqlite => {
                let path = url
                    .strip_prefix("sqlite://")
                    .or_else(|| url.strip_prefix("sqlite:"))
                    .unwrap_or(url)
                    .to_owned();
                if let Some(parent) = std::path::Path::new(&path).parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        connect_error(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                let mut conn = open_sqlite(&path)
                    .await
                    .map_err(|e| connect_error(e.to_string()))?;
                conn.batch_execute(SQLITE_DATABASE)
                    .await
                    .map_err(|e| connect_error(e.to_string()))?;
                migrate(conn, SQLITE_MIGRATIONS).await?;
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.custom_setup =
                    Box::new(|path: &str| open_sqlite_owned(path.to_owned()).boxed());
                let manager =
                    AsyncDieselConnectionManager::<SqliteConn>::new_with_config(path, config);
                let pool = Pool::builder(manager)
                    .max_size(max_connections)
                    .build()
                    .map_err(|e| connect_error(e.to_string()))?;
                Ok(Database::Sqlite(pool))
            }
        }
    }
}

async fn open_sqlite(path: &str) -> diesel::ConnectionResult<SqliteConn> {
    let mut conn = SqliteConn::establish(path).await?;
    conn.batch_execute(SQLITE_CONNECTION)
        .await
        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

async fn open_sqlite_owned(path: String) -> diesel::ConnectionResult<SqliteConn> {
    open_sqlite(&path).await
}

async fn migrate<C>(conn: C, migrations: EmbeddedMigrations) -> Result<(), StoreError>
where
    C: AsyncConnection + 'static,
    AsyncMigrationHarness<C>: MigrationHarness<C::Backend>,
{
    // The harness blocks its thread while migrating; keep that off the async workers.
    tokio::task::spawn_blocking(move || {
        let mut harness = AsyncMigrationHarness::new(conn);
        harness
            .run_pending_migrations(migrations)
            .map(|_| ())
            .map_err(|e| StoreError::Migration(e.to_string()))
    })
    .await
    .map_err(|e| StoreError::Migration(e.to_string()))?
}

/// A database URL with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Runs `$body` with `$conn` bound to a pooled connection of whichever backend `$db` is.
macro_rules! with_conn {
    ($db:expr, |$conn:ident| $body:expr) => {
        match $db {
            $crate::database::Database::Sqlite(pool) => {
                let mut guard = pool.get().await?;
                let $conn = &mut *guard;
                $body
            }
            $crate::database::Database::Postgres(pool) => {
                let mut guard = pool.get().await?;
                let $conn = &mut *guard;
                $body
            }
        }
    };
}
pub(crate) use with_conn;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact("/tmp/x.db"), "/tmp/x.db");
    }
}
