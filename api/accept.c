/* accept: the Accept header's media ranges and weights (RFC 9110 12.5.1). */
#include "accept.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#define WEIGHT_MAX 1000   /* weights in thousandths: q=1 is 1000 */

/* One media range as sent: type and subtype point into the header. */
struct media_range {
	const char *type;
	size_t type_len;
	const char *subtype;
	size_t subtype_len;
	int weight;             /* 0..WEIGHT_MAX; WEIGHT_MAX when no q is given */
	int weighted;           /* a q parameter was seen */
};

/* tchar of RFC 9110 5.6.2. */
static int is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static size_t token_length(const char *s)
{
	size_t n = 0;

	while (is_tchar(s[n]))
		n++;
	return n;
}

static void skip_ows(const char **s)
{
	while (**s == ' ' || **s == '\t')
		(*s)++;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
 * thousandths; -1 for anything else. */
static int parse_qvalue(const char *s, size_t len)
{
	int weight, scale = 100;

	if (len == 0 || len > 5 || (s[0] != '0' && s[0] != '1') || (len > 1 && s[1] != '.'))
		return -1;
	weight = s[0] == '1' ? WEIGHT_MAX : 0;
	for (size_t i = 2; i < len; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9' || (weight == WEIGHT_MAX && s[i] != '0'))
			return -1;
		weight += (s[i] - '0') * scale;
	}
	return weight;
}

/* Steps over the quoted-string at *s (which starts with the quote); -1 when
 * it is not one: unterminated, or holding a control character. */
static int skip_quoted_string(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s + 1;

	for (; *p != '"'; p++) {
		if (*p == '\\')
			p++;
		if (*p == '\0' || (*p < 0x20 && *p != '\t') || *p == 0x7f)
			return -1;
	}
	*s = (const char *)p + 1;
	return 0;
}

/* parameter = name "=" ( token / quoted-string ), at *s. The weight q must be
 * a qvalue token, given once; other parameters are only checked for syntax.
 * -1 when malformed. */
static int read_parameter(const char **s, struct media_range *r)
{
	const char *name = *s, *value;
	size_t name_len = token_length(name), value_len;

	if (name_len == 0 || name[name_len] != '=')
		return -1;
	value = name + name_len + 1;
	if (*value == '"') {
		*s = value;
		return name_len == 1 && (name[0] == 'q' || name[0] == 'Q') ? -1 : skip_quoted_string(s);
	}
	value_len = token_length(value);
	if (value_len == 0)
		return -1;
	*s = value + value_len;
	if (name_len != 1 || (name[0] != 'q' && name[0] != 'Q'))
		return 0;
	if (r->weighted)
		return -1;
	r->weighted = 1;
	r->weight = parse_qvalue(value, value_len);
	return r->weight < 0 ? -1 : 0;
}

/* type "/" subtype at *s; the wildcard type only with the wildcard subtype. */
static int read_type(const char **s, struct media_range *r)
{
	r->type = *s;
	r->type_len = token_length(r->type);
	if (r->type_len == 0 || r->type[r->type_len] != '/')
		return -1;
	r->subtype = r->type + r->type_len + 1;
	r->subtype_len = token_length(r->subtype);
	if (r->subtype_len == 0)
		return -1;
	if (r->type_len == 1 && r->type[0] == '*' && !(r->subtype_len == 1 && r->subtype[0] == '*'))
		return -1;
	*s = r->subtype + r->subtype_len;
	return 0;
}

/* media-range *( OWS ";" OWS [ parameter ] ) OWS, up to the next "," or the
 * end; -1 when it does not parse. */
static int read_media_range(const char **s, struct media_range *r)
{
	memset(r, 0, sizeof(*r));
	r->weight = WEIGHT_MAX;
	if (read_type(s, r) != 0)
		return -1;
	for (;;) {
		skip_ows(s);
		if (**s == ',' || **s == '\0')
			return 0;
		if (**s != ';')
			return -1;
		(*s)++;
		skip_ows(s);
		if (**s != ';' && **s != ',' && **s != '\0' && read_parameter(s, r) != 0)
			return -1;
	}
}

/* Moves *s past the element it is in, to its closing "," or the end,
 * stepping over quoted strings, whose commas do not end an element. */
static void skip_element(const char **s)
{
	while (**s != ',' && **s != '\0') {
		if (**s == '"' && skip_quoted_string(s) == 0)
			continue;
		if (**s == '"') {
			*s += strlen(*s);
			return;
		}
		(*s)++;
	}
}

static int is(const char *text, size_t len, const char *want)
{
	return len == strlen(want) && strncasecmp(text, want, len) == 0;
}

static int is_csv(const struct media_range *r)
{
	return is(r->type, r->type_len, "text") && is(r->subtype, r->subtype_len, "csv");
}

static int takes_json(const struct media_range *r)
{
	if (is(r->type, r->type_len, "*"))
		return 1;
	return is(r->type, r->type_len, "application") &&
	       (is(r->subtype, r->subtype_len, "json") || is(r->subtype, r->subtype_len, "*"));
}

static int max_of(int a, int b)
{
	return a > b ? a : b;
}

int accept_prefers_csv(const char *accept)
{
	int csv = 0, json = 0;

	if (accept == NULL)
		return 0;
	while (*accept != '\0') {
		const char *start;
		struct media_range r;

		while (*accept == ',' || *accept == ' ' || *accept == '\t')
			accept++;
		if (*accept == '\0')
			break;
		start = accept;
		if (read_media_range(&accept, &r) != 0) {
			accept = start;
			skip_element(&accept);
			continue;
		}
		if (is_csv(&r))
			csv = max_of(csv, r.weight);
		else if (takes_json(&r))
			json = max_of(json, r.weight);
	}
	return csv > 0 && csv > json;
}
