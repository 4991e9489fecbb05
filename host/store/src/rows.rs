//! Row-level access to the `resources` table, written once and compiled for each backend.

use std::future::Future;

use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::schema::resources;

/// One stored resource as the database holds it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = resources)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct Row {
    pub kind: String,
    pub project: String,
    pub name: String,
    pub spec: String,
    pub resource_version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The handful of queries the store needs. Implemented for both connection types by the macro
/// below, so the transaction logic above it is written once, generic over `Rows`.
pub(crate) trait Rows: Send {
    fn find(
        &mut self,
        kind: &str,
        project: &str,
        name: &str,
    ) -> impl Future<Output = QueryResult<Option<Row>>> + Send;

    /// Rows of one kind, optionally of one project scope, ordered by project then name.
    fn list(
        &mut self,
        kind: &str,
        project: Option<&str>,
    ) -> impl Future<Output = QueryResult<Vec<Row>>> + Send;

    fn insert(&mut self, row: &Row) -> impl Future<Output = QueryResult<usize>> + Send;

    /// Writes `row` over the stored one if that is still at `expected_version`; returns the
    /// number of rows changed (0 means someone else changed it first).
    fn update(
        &mut self,
        row: &Row,
        expected_version: i64,
    ) -> impl Future<Output = QueryResult<usize>> + Send;

    fn remove(
        &mut self,
        kind: &str,
        project: &str,
        name: &str,
    ) -> impl Future<Output = QueryResult<usize>> + Send;

    /// How many rows each kind has.
    fn count_by_kind(&mut self) -> impl Future<Output = QueryResult<Vec<(String, i64)>>> + Send;
}

macro_rules! impl_rows {
    ($conn:ty) => {
        impl Rows for $conn {
            async fn find(
                &mut self,
                kind: &str,
                project: &str,
                name: &str,
            ) -> QueryResult<Option<Row>> {
                resources::table
                    .filter(resources::kind.eq(kind))
                    .filter(resources::project.eq(project))
                    .filter(resources::name.eq(name))
                    .select(Row::as_select())
                    .first(self)
                    .await
                    .optional()
            }

            async fn list(&mut self, kind: &str, project: Option<&str>) -> QueryResult<Vec<Row>> {
                let mut query = resources::table
                    .filter(resources::kind.eq(kind))
                    .select(Row::as_select())
                    .order((resources::project.asc(), resources::name.asc()))
                    .into_boxed();
                if let Some(project) = project {
                    query = query.filter(resources::project.eq(project));
                }
                query.load(self).await
            }

            async fn insert(&mut self, row: &Row) -> QueryResult<usize> {
                diesel::insert_into(resources::table)
                    .values(row)
                    .execute(self)
                    .await
            }

            async fn update(&mut self, row: &Row, expected_version: i64) -> QueryResult<usize> {
                diesel::update(
                    resources::table
                        .filter(resources::kind.eq(&row.kind))
                        .filter(resources::project.eq(&row.project))
                        .filter(resources::name.eq(&row.name))
                        .filter(resources::resource_version.eq(expected_version)),
                )
                .set((
                    resources::spec.eq(&row.spec),
                    resources::resource_version.eq(row.resource_version),
                    resources::updated_at.eq(row.updated_at),
                ))
                .execute(self)
                .await
            }

            async fn remove(
                &mut self,
                kind: &str,
                project: &str,
                name: &str,
            ) -> QueryResult<usize> {
                diesel::delete(
                    resources::table
                        .filter(resources::kind.eq(kind))
                        .filter(resources::project.eq(project))
                        .filter(resources::name.eq(name)),
                )
                .execute(self)
                .await
            }

            async fn count_by_kind(&mut self) -> QueryResult<Vec<(String, i64)>> {
                resources::table
                    .group_by(resources::kind)
                    .select((resources::kind, diesel::dsl::count_star()))
                    .load(self)
                    .await
            }
        }
    };
}

impl_rows!(AsyncPgConnection);
impl_rows!(SyncConnectionWrapper<diesel::SqliteConnection>);
