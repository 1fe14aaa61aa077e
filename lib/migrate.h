/*
 * migrate: applies the numbered SQL files of sql/, compiled into the binary.
 *
 * Safe to run from several instances at once: the work happens under a
 * PostgreSQL advisory lock, each migration in its own transaction together
 * with its row in schema_migrations. A migration edited after it was applied
 * (its checksum differs) stops the run.
 */
#ifndef CW_MIGRATE_H
#define CW_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

struct migration {
	int version;
	const char *name;
	const char *sha256;
	const char *sql;
};

extern const struct migration migrations[];
extern const size_t migrations_count;

/* Applies pending migrations as the schema's owner (conninfo), reporting each
 * on out. With service_conninfo (how the service connects; NULL when it
 * connects as the owner too), then gives the role it logs in as the rights on
 * every table that sql/012's cw_grant_service() decides, and checks that the
 * role cannot alter the schema. Returns 0, or -1 with a one-line reason in why. */
int migrate_run(const char *conninfo, const char *service_conninfo, FILE *out, char *why, size_t why_len);

/* The highest version this binary knows. */
int migrate_latest_version(void);

#endif
