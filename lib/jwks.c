#include "jwks.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fetch.h"
#include "files.h"
#include "log.h"

#define DESCRIPTION_MAX 400

struct jwks {
	struct jwks_settings settings;    /* file and url point into the copies below */
	char *file;
	char *url;
	pthread_mutex_t lock;
	pthread_cond_t wake;              /* the fetching thread waits on it */
	pthread_cond_t fetched;           /* requests wait on it for a fetch to end */
	struct jwk_set *current;          /* under lock */
	atomic_uint_fast64_t generation;
	atomic_int stop;
	/* the fetching thread's state, under lock */
	int fetch_wanted;
	int fetching;
	uint64_t fetches_done;
	double last_fetch_started;        /* monotonic seconds; < 0 before the first */
	double next_due;
	unsigned failures_in_a_row;
	pthread_t thread;
	int thread_started;
};

static double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, double when)
{
	struct timespec ts;

	ts.tv_sec = (time_t)when;
	ts.tv_nsec = (long)((when - (double)ts.tv_sec) * 1e9);
	pthread_cond_timedwait(cond, lock, &ts);
}

struct jwk_set *jwks_current(struct jwks *j)
{
	struct jwk_set *set;

	pthread_mutex_lock(&j->lock);
	set = jwk_set_hold(j->current);
	pthread_mutex_unlock(&j->lock);
	return set;
}

uint64_t jwks_generation(const struct jwks *j)
{
	return atomic_load(&j->generation);
}

/* Whether next holds exactly the keys of current (same ids). */
static int same_keys(const struct jwk_set *current, const struct jwk_set *next, size_t count)
{
	if (current == NULL || jwk_set_count(current) != count)
		return 0;
	for (size_t i = 0; i < count; i++)
		if (!jwk_set_has(current, jwk_set_key(next, i)->id))
			return 0;
	return 1;
}

/* Parses text and puts the set in force: 1 when it was new, 0 when it holds
 * the keys already in force, -1 with why when it is refused (the set in
 * force stays). */
static int install(struct jwks *j, const char *text, size_t len, const char *source, char *why, size_t why_len)
{
	struct jwk_set *previous = jwks_current(j), *next = NULL;
	char description[DESCRIPTION_MAX];

	if (jwk_set_parse(text, len, j->settings.algs, previous, &next, why, why_len) != 0) {
		jwk_set_release(previous);
		return -1;
	}
	if (same_keys(previous, next, jwk_set_count(next))) {
		jwk_set_release(next);
		jwk_set_release(previous);
		return 0;
	}
	jwk_set_describe(next, description, sizeof(description));
	pthread_mutex_lock(&j->lock);
	jwk_set_release(j->current);
	j->current = next;
	atomic_fetch_add(&j->generation, 1);
	pthread_mutex_unlock(&j->lock);
	jwk_set_release(previous);
	log_event("info", "key set from %s now in force: %s", source, description);
	return 1;
}

static int read_file(struct jwks *j, char *why, size_t why_len)
{
	unsigned char *text = NULL;
	char reason[300];
	long n = file_read_small(j->file, JWK_SET_MAX_BYTES, &text);
	int rc;

	if (n < 0) {
		snprintf(why, why_len, "CASEWORK_JWT_JWKS_FILE %s cannot be read: %s", j->file,
			 errno == EFBIG ? "it is larger than 65536 bytes" : strerror(errno));
		return -1;
	}
	rc = install(j, (const char *)text, (size_t)n, "CASEWORK_JWT_JWKS_FILE", reason, sizeof(reason));
	if (rc < 0)
		snprintf(why, why_len, "CASEWORK_JWT_JWKS_FILE %s is refused: %s", j->file, reason);
	else if (rc == 0)
		log_event("info", "key set from CASEWORK_JWT_JWKS_FILE unchanged");
	free(text);
	return rc < 0 ? -1 : 0;
}

/* One fetch; returns the set's max-age (or -1) when it succeeded, -2 when not. */
static long fetch_once(struct jwks *j)
{
	struct fetch_request req = {j->url, j->settings.allow_http, JWK_SET_MAX_BYTES,
				    (long)j->settings.timeout_seconds * 1000, &j->stop};
	struct fetch_result got;
	char why[300];
	long max_age = -2;

	if (fetch_get(&req, &got) != 0)
		snprintf(why, sizeof(why), "%s", got.error);
	else if (install(j, got.body, got.len, "CASEWORK_JWT_JWKS_URL", why, sizeof(why)) >= 0)
		max_age = got.max_age;
	free(got.body);
	if (max_age == -2 && !atomic_load(&j->stop)) {
		struct jwk_set *in_force = jwks_current(j);

		log_event("warn", "fetching the key set from %s failed (%s); %s", j->url, why,
			  in_force ? "the last good set stays in force" : "no set is loaded yet: no token can be verified");
		jwk_set_release(in_force);
	}
	return max_age;
}

/* When the next scheduled fetch is due after one that ended now. */
static double next_fetch(struct jwks *j, long max_age, double now)
{
	double lo = j->settings.min_interval_seconds, hi = j->settings.refresh_seconds, wait;

	if (max_age == -2) {
		wait = lo;
		for (unsigned i = 1; i < j->failures_in_a_row && wait < hi; i++)
			wait *= 2;
	} else {
		wait = max_age < 0 ? hi : (double)max_age;
	}
	return now + (wait < lo ? lo : wait > hi ? hi : wait);
}

static void *fetcher(void *arg)
{
	struct jwks *j = arg;

	pthread_mutex_lock(&j->lock);
	while (!atomic_load(&j->stop)) {
		double now = monotonic_now();
		long max_age;

		if (!j->fetch_wanted && now < j->next_due) {
			wait_until(&j->wake, &j->lock, j->next_due);
			continue;
		}
		j->fetch_wanted = 0;
		j->fetching = 1;
		j->last_fetch_started = now;
		pthread_mutex_unlock(&j->lock);
		max_age = fetch_once(j);
		pthread_mutex_lock(&j->lock);
		j->failures_in_a_row = max_age == -2 ? j->failures_in_a_row + 1 : 0;
		j->next_due = next_fetch(j, max_age, monotonic_now());
		j->fetching = 0;
		j->fetches_done++;
		pthread_cond_broadcast(&j->fetched);
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

static int start_fetcher(struct jwks *j)
{
	pthread_condattr_t attr;
	int rc;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&j->wake, &attr) | pthread_cond_init(&j->fetched, &attr);
	pthread_condattr_destroy(&attr);
	if (rc != 0)
		return -1;
	j->last_fetch_started = -1e9;
	if (pthread_create(&j->thread, NULL, fetcher, j) != 0)
		return -1;
	j->thread_started = 1;
	return 0;
}

struct jwks *jwks_new(const struct jwks_settings *settings, char *why, size_t why_len)
{
	struct jwks *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	j->settings = *settings;
	j->file = settings->file ? strdup(settings->file) : NULL;
	j->url = settings->url ? strdup(settings->url) : NULL;
	pthread_mutex_init(&j->lock, NULL);
	if ((settings->file && !j->file) || (settings->url && !j->url)) {
		snprintf(why, why_len, "out of memory");
	} else if (j->file) {
		if (read_file(j, why, why_len) == 0)
			return j;
	} else if (start_fetcher(j) == 0) {
		return j;
	} else {
		snprintf(why, why_len, "cannot start the thread that fetches CASEWORK_JWT_JWKS_URL");
	}
	jwks_free(j);
	return NULL;
}

void jwks_free(struct jwks *j)
{
	if (j == NULL)
		return;
	if (j->thread_started) {
		pthread_mutex_lock(&j->lock);
		atomic_store(&j->stop, 1);
		pthread_cond_broadcast(&j->wake);
		pthread_mutex_unlock(&j->lock);
		pthread_join(j->thread, NULL);
		pthread_cond_destroy(&j->wake);
		pthread_cond_destroy(&j->fetched);
	}
	jwk_set_release(j->current);
	pthread_mutex_destroy(&j->lock);
	free(j->file);
	free(j->url);
	free(j);
}

struct jwk_set *jwks_refresh_for_kid(struct jwks *j, const struct jwk_set *seen)
{
	struct jwk_set *set;

	pthread_mutex_lock(&j->lock);
	if (j->url != NULL && j->current == seen) {
		uint64_t done = j->fetches_done;
		double now = monotonic_now(), deadline = now + j->settings.timeout_seconds + 1;

		double earliest = j->last_fetch_started + j->settings.min_interval_seconds;

		if (!j->fetching && !j->fetch_wanted && now >= earliest) {
			j->fetch_wanted = 1;
			pthread_cond_signal(&j->wake);
		} else if (!j->fetching && !j->fetch_wanted && j->next_due > earliest) {
			/* Too soon after the last fetch: the next one comes as early as allowed. */
			j->next_due = earliest;
			pthread_cond_signal(&j->wake);
		}
		while ((j->fetching || j->fetch_wanted) && j->fetches_done == done && monotonic_now() < deadline &&
		       !atomic_load(&j->stop))
			wait_until(&j->fetched, &j->lock, deadline);
	}
	set = jwk_set_hold(j->current);
	pthread_mutex_unlock(&j->lock);
	return set;
}

void jwks_reload(struct jwks *j)
{
	char why[400];

	if (j->file != NULL) {
		if (read_file(j, why, sizeof(why)) != 0)
			log_event("warn", "%s; the last good set stays in force", why);
		return;
	}
	pthread_mutex_lock(&j->lock);
	j->fetch_wanted = 1;
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->lock);
}
