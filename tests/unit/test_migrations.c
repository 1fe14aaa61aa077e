/* migrations: every file of sql/ is compiled in, in order, with its checksum.
 * argv[1] is the source root. */
#include "migrate.h"

#include <dirent.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include "check.h"

#define MAX_FILES 1000

static const char *root;

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.sql names of <root>/sql, sorted; returns how many (caller frees each and names). */
static size_t sql_files(char ***names)
{
	char path[4096];
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	*names = calloc(MAX_FILES, sizeof(char *));
	snprintf(path, sizeof(path), "%s/sql", root);
	d = opendir(path);
	if (d == NULL || *names == NULL) {
		perror(path);
		if (d)
			closedir(d);
		return 0;
	}
	while ((e = readdir(d)) != NULL && n < MAX_FILES) {
		size_t len = strlen(e->d_name);

		if (len > 4 && strcmp(e->d_name + len - 4, ".sql") == 0)
			(*names)[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(*names, n, sizeof(char *), by_name);
	return n;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The whole file as a NUL-terminated string (caller frees), or NULL. */
static char *read_text(const char *name)
{
	char path[4096];
	FILE *f;
	char *text = NULL;
	long len;

	snprintf(path, sizeof(path), "%s/sql/%s", root, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (text = malloc((size_t)len + 1)) != NULL) {
		if (fread(text, 1, (size_t)len, f) != (size_t)len) {
			free(text);
			text = NULL;
		} else {
			text[len] = '\0';
		}
	}
	fclose(f);
	return text;
}

static void sha256_hex(const char *text, char out[65])
{
	unsigned char digest[32];
	unsigned int n = 0;

	out[0] = '\0';
	if (EVP_Digest(text, strlen(text), digest, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return;
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* A file in sql/ missing from meson.build's migration_files would never be applied. */
static void test_every_sql_file_is_compiled_in_order(void)
{
	char **names;
	size_t n = sql_files(&names);
	char embedded[300];

	CHECK(n > 0);
	CHECK(n == migrations_count);
	for (size_t i = 0; i < n && i < migrations_count; i++) {
		snprintf(embedded, sizeof(embedded), "%s.sql", migrations[i].name);
		CHECK_STR(embedded, names[i]);
	}
	for (size_t i = migrations_count; i < n; i++)
		fprintf(stderr, "  sql/%s is not in meson.build's migration_files\n", names[i]);
	free_names(names, n);
}

static void test_versions_are_1_to_n(void)
{
	for (size_t i = 0; i < migrations_count; i++)
		CHECK(migrations[i].version == (int)i + 1);
	CHECK(migrate_latest_version() == (int)migrations_count);
}

static void test_checksums_are_sha256_of_the_files(void)
{
	char want[65], file[300];

	for (size_t i = 0; i < migrations_count; i++) {
		const char *sum = migrations[i].sha256;
		char *text;

		CHECK(strlen(sum) == 64 && strspn(sum, "0123456789abcdef") == 64);
		snprintf(file, sizeof(file), "%s.sql", migrations[i].name);
		text = read_text(file);
		CHECK(text != NULL);
		if (text == NULL)
			continue;
		sha256_hex(text, want);
		CHECK_STR(sum, want);
		CHECK(strcmp(migrations[i].sql, text) == 0);
		free(text);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s SOURCE_ROOT\n", argv[0]);
		return 2;
	}
	root = argv[1];
	RUN(test_every_sql_file_is_compiled_in_order);
	RUN(test_versions_are_1_to_n);
	RUN(test_checksums_are_sha256_of_the_files);
	return check_result();
}
