-- Placeholder, and nothing else: catalog migration 007 belongs to another branch of issue 14 ('migrate' and 'audit'
-- across servers), which was started at the same time. Migrations must be numbered without gaps, so this keeps 008
-- (the per-server pooler) loadable until that branch is merged; the merge replaces this file with that branch's 007.
SELECT 1;
