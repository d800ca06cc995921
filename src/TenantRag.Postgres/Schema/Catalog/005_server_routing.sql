-- Placement: every serving process routes a tenant's sessions to the server its catalog row names, so the serving
-- role reads where each server is. Not the bootstrap role, nor where its password is kept: those are the admin's.
GRANT SELECT (id, host, port, ssl_mode, status) ON tenantrag.servers TO ${app_role};
