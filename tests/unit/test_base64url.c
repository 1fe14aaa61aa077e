/* base64url: RFC 4648 section 5 without padding, one text per value. */
#include "base64url.h"

#include "check.h"

static const char *encoded(const char *data, char out[64])
{
	base64url_encode((const unsigned char *)data, strlen(data), out);
	return out;
}

/* The decoded text, or "(refused)". */
static const char *decoded(const char *text, char out[64])
{
	long n = base64url_decode(text, strlen(text), (unsigned char *)out);

	if (n < 0)
		return "(refused)";
	out[n] = '\0';
	return out;
}

static void test_rfc_4648_vectors(void)
{
	char out[64];

	CHECK_STR(encoded("", out), "");
	CHECK_STR(encoded("f", out), "Zg");
	CHECK_STR(encoded("fo", out), "Zm8");
	CHECK_STR(encoded("foo", out), "Zm9v");
	CHECK_STR(encoded("foob", out), "Zm9vYg");
	CHECK_STR(encoded("fooba", out), "Zm9vYmE");
	CHECK_STR(encoded("foobar", out), "Zm9vYmFy");
	CHECK_STR(decoded("Zm9vYmFy", out), "foobar");
	CHECK_STR(decoded("Zm9vYmE", out), "fooba");
	CHECK_STR(decoded("Zm9vYg", out), "foob");
	CHECK_STR(decoded("", out), "");
	CHECK(strlen(encoded("fooba", out)) == BASE64URL_LEN(5));
}

static void test_url_alphabet_replaces_plus_and_slash(void)
{
	static const unsigned char data[] = {0xfb, 0xff, 0xbf};
	unsigned char back[4];
	char out[8];

	base64url_encode(data, 3, out);
	CHECK_STR(out, "-_-_");
	CHECK(base64url_decode("-_-_", 4, back) == 3 && memcmp(back, data, 3) == 0);
	CHECK(base64url_decode("+/+/", 4, back) < 0);
}

static void test_padding_and_foreign_characters_are_refused(void)
{
	char out[64];

	CHECK_STR(decoded("Zg==", out), "(refused)");
	CHECK_STR(decoded("Zm9v YmFy", out), "(refused)");
	CHECK_STR(decoded("Zm9v.", out), "(refused)");
	CHECK_STR(decoded("Z", out), "(refused)");      /* no length leaves one character */
	CHECK_STR(decoded("Zm9vY", out), "(refused)");
}

/* "Zh" and "Zg" differ only in bits that carry no data: only "Zg" is "f". */
static void test_nonzero_leftover_bits_are_refused(void)
{
	char out[64];

	CHECK_STR(decoded("Zg", out), "f");
	CHECK_STR(decoded("Zh", out), "(refused)");
	CHECK_STR(decoded("Zm9", out), "(refused)");
	CHECK_STR(decoded("Zm8", out), "fo");
}

int main(void)
{
	RUN(test_rfc_4648_vectors);
	RUN(test_url_alphabet_replaces_plus_and_slash);
	RUN(test_padding_and_foreign_characters_are_refused);
	RUN(test_nonzero_leftover_bits_are_refused);
	return check_result();
}
