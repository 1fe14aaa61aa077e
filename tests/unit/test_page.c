/* page: a page holds at most limit entries and at most its budget in bytes. */
#include "page.h"

#include <stdlib.h>

#include "check.h"

static void test_a_page_holds_limit_entries_then_has_more(void)
{
	struct page_bound b;

	page_bound_init(&b, 2, 1000);
	CHECK(page_bound_room(&b) && page_bound_keep(&b, 10));
	CHECK(page_bound_room(&b) && page_bound_keep(&b, 20));
	CHECK(b.count == 2 && !b.more);
	CHECK(!page_bound_room(&b));
	CHECK(b.count == 2 && b.more);
}

static void test_an_entry_past_the_budget_waits_for_the_next_page(void)
{
	struct page_bound b;

	page_bound_init(&b, 500, 1000);
	CHECK(page_bound_keep(&b, 600));
	CHECK(page_bound_keep(&b, 1000));      /* exactly the budget fits */
	CHECK(!page_bound_keep(&b, 1001));
	CHECK(b.count == 2 && b.more);
}

static void test_the_first_entry_always_goes_in(void)
{
	struct page_bound b;

	page_bound_init(&b, 50, 100);
	CHECK(page_bound_room(&b) && page_bound_keep(&b, 5000));
	CHECK(b.count == 1 && !b.more);
	CHECK(!page_bound_keep(&b, 5100));
	CHECK(b.count == 1 && b.more);
}

static void test_close_writes_the_cursor_or_null(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *text;

	strbuf_addstr(&sb, "{\"items\":[],");
	page_close(&sb, "abc");
	text = strbuf_detach(&sb);
	CHECK_STR(text, "{\"items\":[],\"next_cursor\":\"abc\"}");
	free(text);
	strbuf_addstr(&sb, "{\"items\":[],");
	page_close(&sb, NULL);
	text = strbuf_detach(&sb);
	CHECK_STR(text, "{\"items\":[],\"next_cursor\":null}");
	free(text);
}

static void test_a_history_cursor_carries_its_record(void)
{
	static const struct page_keys keys = {CURSOR_PERMANENCY_GOALS, "id", NULL,
					      "123e4567-e89b-12d3-a456-426614174000", 1, 4};
	struct page_position pos = {41, ""};
	char text[PAGE_CURSOR_MAX + 1], uuid[37];
	int64_t key = 0, key2 = -1;

	page_cursor(&keys, &pos, text);
	CHECK(cursor_decode_history(text, CURSOR_PERMANENCY_GOALS, &key, &key2, uuid) == 0);
	CHECK(key == 41 && key2 == 0);
	CHECK_STR(uuid, "123e4567-e89b-12d3-a456-426614174000");
}

static void test_a_list_cursor_carries_the_last_row(void)
{
	static const struct page_keys keys = {CURSOR_CASES, "created_at", "id", NULL, 0, 7};
	struct page_position pos = {1772375400123456LL, "123e4567-e89b-12d3-a456-426614174000"};
	char text[PAGE_CURSOR_MAX + 1], uuid[37];
	int64_t key = 0;

	page_cursor(&keys, &pos, text);
	CHECK(strlen(text) == CURSOR_TEXT_LEN);
	CHECK(cursor_decode(text, CURSOR_CASES, &key, uuid) == 0);
	CHECK(key == pos.key);
	CHECK_STR(uuid, pos.id);
}

static void test_setlen_takes_back_what_was_appended(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *text;

	strbuf_setlen(&sb, 0);               /* nothing to cut */
	strbuf_addstr(&sb, "[1");
	strbuf_addstr(&sb, ",22222");
	strbuf_setlen(&sb, 2);
	strbuf_setlen(&sb, 10);              /* never longer */
	strbuf_addch(&sb, ']');
	text = strbuf_detach(&sb);
	CHECK_STR(text, "[1]");
	free(text);
}

int main(void)
{
	RUN(test_a_page_holds_limit_entries_then_has_more);
	RUN(test_an_entry_past_the_budget_waits_for_the_next_page);
	RUN(test_the_first_entry_always_goes_in);
	RUN(test_close_writes_the_cursor_or_null);
	RUN(test_a_history_cursor_carries_its_record);
	RUN(test_a_list_cursor_carries_the_last_row);
	RUN(test_setlen_takes_back_what_was_appended);
	return check_result();
}
