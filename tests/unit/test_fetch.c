/* fetch: how long an answer may be used, from its Cache-Control header. */
#include "fetch.h"

#include "check.h"

static void test_max_age_is_read_from_cache_control(void)
{
	CHECK(fetch_max_age("max-age=300") == 300);
	CHECK(fetch_max_age("public, max-age=86400, must-revalidate") == 86400);
	CHECK(fetch_max_age("Max-Age=60") == 60);
	CHECK(fetch_max_age("public,max-age=5") == 5);
	CHECK(fetch_max_age("public") == -1);
	CHECK(fetch_max_age("") == -1);
	CHECK(fetch_max_age("max-age=") == -1);
	CHECK(fetch_max_age("max-age=abc") == -1);
	CHECK(fetch_max_age("max-age=12x") == -1);
	CHECK(fetch_max_age("s-maxage=60") == -1);
	CHECK(fetch_max_age("no-cache") == 0);
	CHECK(fetch_max_age("max-age=600, no-store") == 0);
	CHECK(fetch_max_age("max-age=99999999999999999999") > 0);
}

int main(void)
{
	RUN(test_max_age_is_read_from_cache_control);
	return check_result();
}
