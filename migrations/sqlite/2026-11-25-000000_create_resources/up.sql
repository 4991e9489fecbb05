-- Every resource is one row: its identity (kind, project scope, name), its spec as canonical
-- JSON (sealed for secrets) and the fields mcpd manages. Times are milliseconds since the epoch.
CREATE TABLE resources (
    kind TEXT NOT NULL,
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    resource_version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, project, name)
);
CREATE INDEX resources_by_project ON resources (project, kind);
