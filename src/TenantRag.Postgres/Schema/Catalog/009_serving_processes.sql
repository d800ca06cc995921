-- Where idle cost shows (issue 15 item 4): what each serving process ('tenantrag serve') holds for which tenant, so
-- 'tenant show' and 'tenant list' (other processes) can say it. Each process has a row of its own under a random id,
-- written every Database:PresenceInterval with the cache bytes and connections of every tenant holding any (a tenant
-- absent holds nothing there), and deleted when the process stops. A killed process cannot delete its row: a row counts
-- only until its expires_at (three intervals after it was written), and a process starting deletes rows expired for an
-- hour. No foreign key, trigger or function: a row describes a process, and nothing written here reaches a tenant's data.
CREATE TABLE tenantrag.serving_processes (
    id          uuid PRIMARY KEY,
    host        text NOT NULL CHECK (length(host) BETWEEN 1 AND 255),
    pid         integer NOT NULL CHECK (pid > 0),
    started_at  timestamptz NOT NULL DEFAULT now(),
    seen_at     timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    holdings    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(holdings) = 'object')
);
-- The serving role writes its own row and finds a row by id or expiry; it reads no process's holdings, host or pid
-- (the catalog's owner, the admin, reads them for the command line).
GRANT SELECT (id, expires_at), INSERT (id, host, pid, expires_at, holdings), UPDATE (seen_at, expires_at, holdings), DELETE
    ON tenantrag.serving_processes TO ${app_role};
