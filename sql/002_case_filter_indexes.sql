-- 002: indexes for the list filters that select few cases.
-- updated_since: "what changed since my last sync" finds the recent rows directly.
CREATE INDEX cases_updated_idx ON cases (updated_at) WHERE deleted_at IS NULL;
-- status: the keyset walk stays in one status (closed cases are the minority).
CREATE INDEX cases_status_page_idx ON cases (status, created_at, id) WHERE deleted_at IS NULL;
