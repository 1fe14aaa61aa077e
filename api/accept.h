/*
 * accept: which representation the client asked for, read from the Accept
 * header's media ranges and their weights (RFC 9110 12.5.1).
 *
 * Pure text parsing: no request, no allocation.
 */
#ifndef CW_ACCEPT_H
#define CW_ACCEPT_H

/*
 * True when the Accept value (NULL when absent) asks for CSV rather than JSON:
 * text/csv itself (case-insensitive; parameters other than q ignored) has a
 * weight above 0 and above that of every range that takes JSON, that is
 * application/json and the wildcard ranges for application and for anything.
 * JSON is the default, so a tie answers JSON. A range that does not parse,
 * one with a malformed q included, is ignored as though it were not sent.
 */
int accept_prefers_csv(const char *accept);

#endif
