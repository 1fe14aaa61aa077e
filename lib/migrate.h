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

/* Applies pending migrations, reporting each on out. Returns 0, or -1 with a
 * one-line reason in why. */
int migrate_run(const char *conninfo, FILE *out, char *why, size_t why_len);

/* The highest version this binary knows. */
int migrate_latest_version(void);

#endif
