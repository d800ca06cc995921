-- Online moves of a tenant between servers and models ('tenantrag tenant move'). A move is a sequence of steps, each
-- recorded here before its effects can exist, so a move interrupted anywhere (the mover killed, a server stopped)
-- can be resumed or aborted from what this row says. Its replication objects are all named tenantrag_move_<id>: the
-- publication in the source database, the slot on the source server, the subscription in the target database;
-- 'tenantrag audit' reports any of that name that belongs to no move in progress.
--   preparing  the target database (and role) are being made
--   copying    publication, slot and subscription exist (or are being made): initial copy, then catch-up
--   fenced     the source refuses the tenant's writes; the target is applying the last of them
--   switched   the catalog names the target; the source rows and the replication objects are being removed
--   done | aborted
CREATE TABLE tenantrag.tenant_moves (
    id               text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{12}$'),
    tenant_id        text NOT NULL,
    slug             text NOT NULL,
    source_server    text NOT NULL,
    source_database  text NOT NULL,
    source_mode      text NOT NULL CHECK (source_mode IN ('shared', 'dedicated')),
    target_server    text NOT NULL,
    target_database  text NOT NULL,
    target_mode      text NOT NULL CHECK (target_mode IN ('shared', 'dedicated')),
    step             text NOT NULL CHECK (step IN ('preparing', 'copying', 'fenced', 'switched', 'done', 'aborted')),
    copy_ms          bigint,
    catchup_ms       bigint,
    fence_ms         bigint,
    error            text,
    started_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz
);

-- At most one move in progress per tenant.
CREATE UNIQUE INDEX tenant_moves_in_progress_uq ON tenantrag.tenant_moves (tenant_id) WHERE step NOT IN ('done', 'aborted');
