//! The diesel schema, the same for SQLite and PostgreSQL.

diesel::table! {
    resources (kind, project, name) {
        kind -> Text,
        project -> Text,
        name -> Text,
        spec -> Text,
        resource_version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}
