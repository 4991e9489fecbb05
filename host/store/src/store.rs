//! The store's public face: reads, and writes that run as one transaction each.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use diesel_async::AsyncConnection;
use resource_model::catalog::builtin_templates;
use resource_model::spec::ServerAttachmentSpec;
use resource_model::{Key, Kind, Resource, Spec};

use crate::cipher::SecretCipher;
use crate::database::{Backend, Database, with_conn};
use crate::error::StoreError;
use crate::rows::Rows;
use crate::tx::{Outcome, Tx, WriteOp};

/// mcpd's resource store.
#[derive(Debug)]
pub struct Store {
    db: Database,
    cipher: SecretCipher,
    /// One writer at a time: SQLite allows no more, and on PostgreSQL it turns concurrent
    /// writes from this process into a queue instead of retryable conflicts.
    write_lock: tokio::sync::Mutex<()>,
}

/// Why a transaction ended without committing.
enum Abort {
    Failed(StoreError),
    DryRun(Vec<Outcome>),
}

impl From<diesel::result::Error> for Abort {
    fn from(err: diesel::result::Error) -> Self {
        Abort::Failed(StoreError::Database(err))
    }
}

impl From<StoreError> for Abort {
    fn from(err: StoreError) -> Self {
        Abort::Failed(err)
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

async fn run_ops<C: Rows>(
    conn: &mut C,
    cipher: &SecretCipher,
    ops: Vec<WriteOp>,
) -> Result<Vec<Outcome>, StoreError> {
    let mut tx = Tx::new(conn, cipher, now_ms());
    let mut outcomes = Vec::with_capacity(ops.len());
    for op in ops {
        outcomes.extend(tx.run(op).await?);
    }
    tx.check_references(&outcomes).await?;
    Ok(outcomes)
}

impl Store {
    /// Opens (and migrates) the database at `url`.
    pub async fn open(
        url: &str,
        cipher: SecretCipher,
        max_connections: usize,
    ) -> Result<Store, StoreError> {
        builtin_templates()?;
        let db = Database::open(url, max_connections.max(1)).await?;
        Ok(Store {
            db,
            cipher,
            write_lock: tokio::sync::Mutex::new(()),
        })
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Runs `ops` in one transaction: all of them take effect, or none. With `dry_run` the
    /// transaction is rolled back after every check has passed.
    pub async fn write(
        &self,
        ops: Vec<WriteOp>,
        dry_run: bool,
    ) -> Result<Vec<Outcome>, StoreError> {
        let _writer = self.write_lock.lock().await;
        let cipher = &self.cipher;
        let result: Result<Vec<Outcome>, Abort> = with_conn!(&self.db, |conn| {
            conn.transaction::<_, Abort, _>(async move |conn| {
                let outcomes = run_ops(conn, cipher, ops).await?;
                if dry_run {
                    Err(Abort::DryRun(outcomes))
                } else {
                    Ok(outcomes)
                }
            })
            .await
        });
        match result {
            Ok(outcomes) | Err(Abort::DryRun(outcomes)) => Ok(outcomes),
            Err(Abort::Failed(err)) => Err(err),
        }
    }

    async fn stored(&self, kind: Kind, project: Option<&str>) -> Result<Vec<Resource>, StoreError> {
        let cipher = &self.cipher;
        with_conn!(&self.db, |conn| {
            let rows = conn.list(kind.as_str(), project).await?;
            rows.into_iter()
                .map(|r| crate::codec::from_row(cipher, r))
                .collect()
        })
    }

    async fn stored_one(&self, key: &Key) -> Result<Option<Resource>, StoreError> {
        let cipher = &self.cipher;
        with_conn!(&self.db, |conn| {
            let row = conn
                .find(key.kind.as_str(), &key.project, &key.name)
                .await?;
            row.map(|r| crate::codec::from_row(cipher, r)).transpose()
        })
    }

    async fn project(&self, name: &str) -> Result<Resource, StoreError> {
        let key = Key::new(Kind::Project, None, name);
        self.stored_one(&key)
            .await?
            .ok_or_else(|| StoreError::NotFound(key.to_string()))
    }

    /// Lists one kind. `project` narrows project-scoped kinds to that project, servers to
    /// the servers of that project, and attachments to that project's.
    pub async fn list(
        &self,
        kind: Kind,
        project: Option<&str>,
    ) -> Result<Vec<Resource>, StoreError> {
        match kind {
            Kind::Template => {
                let mut stored = self.stored(kind, None).await?;
                for builtin in builtin_templates()? {
                    if !stored.iter().any(|t| t.name == builtin.name) {
                        stored.push(builtin.clone());
                    }
                }
                stored.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(stored)
            }
            Kind::ServerAttachment => {
                let projects = match project {
                    Some(p) => vec![self.project(p).await?],
                    None => self.stored(Kind::Project, None).await?,
                };
                Ok(projects
                    .iter()
                    .flat_map(|p| match &p.spec {
                        Spec::Project(spec) => spec
                            .servers
                            .iter()
                            .map(|s| Resource {
                                name: s.clone(),
                                project: Some(p.name.clone()),
                                spec: Spec::ServerAttachment(ServerAttachmentSpec {
                                    server: s.clone(),
                                }),
                                meta: Default::default(),
                            })
                            .collect(),
                        _ => Vec::new(),
                    })
                    .collect())
            }
            Kind::Server if project.is_some() => {
                let project = self.project(project.unwrap_or_default()).await?;
                let Spec::Project(spec) = &project.spec else {
                    return Ok(Vec::new());
                };
                let mut servers: Vec<Resource> = self
                    .stored(Kind::Server, None)
                    .await?
                    .into_iter()
                    .filter(|s| spec.servers.contains(&s.name))
                    .collect();
                servers.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(servers)
            }
            k if k.is_project_scoped() => self.stored(k, project).await,
            k => self.stored(k, None).await,
        }
    }

    /// One resource. For project-scoped kinds `project` may be left out when the name is
    /// unique across projects.
    pub async fn get(
        &self,
        kind: Kind,
        project: Option<&str>,
        name: &str,
    ) -> Result<Resource, StoreError> {
        let key = Key::new(kind, project, name);
        match kind {
            Kind::Template => match self.stored_one(&key).await? {
                Some(t) => Ok(t),
                None => resource_model::catalog::builtin_template(name)
                    .cloned()
                    .ok_or_else(|| StoreError::NotFound(key.to_string())),
            },
            Kind::ServerAttachment => self
                .list(kind, project)
                .await?
                .into_iter()
                .find(|a| a.name == name)
                .ok_or_else(|| StoreError::NotFound(key.to_string())),
            k if k.is_project_scoped() && project.is_none() => {
                let mut found: Vec<Resource> = self
                    .stored(k, None)
                    .await?
                    .into_iter()
                    .filter(|r| r.name == name)
                    .collect();
                match found.len() {
                    0 => Err(StoreError::NotFound(key.to_string())),
                    1 => Ok(found.remove(0)),
                    _ => Err(StoreError::Ambiguous(format!(
                        "{k} {name} exists in projects {}; name one with --project",
                        found
                            .iter()
                            .filter_map(|r| r.project.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))),
                }
            }
            _ => self
                .stored_one(&key)
                .await?
                .ok_or_else(|| StoreError::NotFound(key.to_string())),
        }
    }

    /// The key a name resolves to, for writes that leave the project out.
    pub async fn resolve(
        &self,
        kind: Kind,
        project: Option<&str>,
        name: &str,
    ) -> Result<Key, StoreError> {
        if kind.is_project_scoped() && project.is_none() {
            Ok(self.get(kind, None, name).await?.key())
        } else {
            Ok(Key::new(kind, project, name))
        }
    }

    /// How many stored resources each kind has.
    pub async fn counts(&self) -> Result<BTreeMap<Kind, i64>, StoreError> {
        let rows = with_conn!(&self.db, |conn| conn.count_by_kind().await?);
        let mut counts: BTreeMap<Kind, i64> = Kind::ALL
            .iter()
            .filter(|k| !k.is_virtual())
            .map(|k| (*k, 0))
            .collect();
        for (kind, n) in rows {
            if let Some(kind) = Kind::parse(&kind) {
                counts.insert(kind, n);
            }
        }
        Ok(counts)
    }

    /// Everything stored, or one project with the servers, secrets, templates, prompts and
    /// prompt requests it uses: what `get all -o yaml` writes and `apply` reads back.
    pub async fn export(&self, project: Option<&str>) -> Result<Vec<Resource>, StoreError> {
        let Some(project) = project else {
            let mut all = Vec::new();
            for kind in Kind::ALL {
                if !kind.is_virtual() && !kind.is_read_only() {
                    all.extend(self.stored(kind, None).await?);
                }
            }
            return Ok(all);
        };
        let project_resource = self.project(project).await?;
        let servers = self.list(Kind::Server, Some(project)).await?;
        let mut secrets = std::collections::BTreeSet::new();
        let mut templates = std::collections::BTreeSet::new();
        for server in &servers {
            if let Spec::Server(s) = &server.spec {
                secrets.extend(s.env_from.iter().map(|f| f.secret_ref.name.clone()));
                secrets.extend(
                    s.env
                        .iter()
                        .filter_map(|e| e.value_from.as_ref())
                        .map(|f| f.secret_key_ref.name.clone()),
                );
                templates.extend(s.from_template.clone());
            }
        }
        let mut out = Vec::new();
        for name in secrets {
            out.extend(
                self.stored_one(&Key::new(Kind::Secret, None, &name))
                    .await?,
            );
        }
        for name in templates {
            out.extend(
                self.stored_one(&Key::new(Kind::Template, None, &name))
                    .await?,
            );
        }
        out.extend(servers);
        out.push(project_resource);
        out.extend(self.stored(Kind::Prompt, Some(project)).await?);
        out.extend(self.stored(Kind::PromptRequest, Some(project)).await?);
        Ok(out)
    }
}
