-- A sequence is shared by every writer of its database: a session that may call nextval (USAGE) or read last_value
-- (SELECT) counts the writes of other tenants (shared database) and of colleagues (any database) between two of its
-- own calls. Identity columns draw their values without any privilege on the sequence, so sessions need none.
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC, authenticated, anonymous;
