/* db: Retry-After advice grows with how long the trouble has lasted, bounded. */
#include "db.h"

#include "check.h"

static void test_advice_is_the_time_so_far_rounded_up(void)
{
	CHECK(db_retry_after_seconds(0, 1) == 1);
	CHECK(db_retry_after_seconds(0.2, 1) == 1);
	CHECK(db_retry_after_seconds(1.0, 1) == 1);
	CHECK(db_retry_after_seconds(1.01, 1) == 2);
	CHECK(db_retry_after_seconds(7.5, 1) == 8);
	CHECK(db_retry_after_seconds(12, 1) == 12);
}

static void test_advice_has_a_floor_and_a_ceiling(void)
{
	CHECK(db_retry_after_seconds(0, DB_BUSY_RETRY_AFTER_LEAST) == 5);
	CHECK(db_retry_after_seconds(4.9, DB_BUSY_RETRY_AFTER_LEAST) == 5);
	CHECK(db_retry_after_seconds(5.5, DB_BUSY_RETRY_AFTER_LEAST) == 6);
	CHECK(db_retry_after_seconds(29.5, 1) == DB_RETRY_AFTER_MAX);
	CHECK(db_retry_after_seconds(3600, 1) == DB_RETRY_AFTER_MAX);
	CHECK(db_retry_after_seconds(1e30, 1) == DB_RETRY_AFTER_MAX);
	CHECK(db_retry_after_seconds(-3, 1) == 1);
}

int main(void)
{
	RUN(test_advice_is_the_time_so_far_rounded_up);
	RUN(test_advice_has_a_floor_and_a_ceiling);
	return check_result();
}
