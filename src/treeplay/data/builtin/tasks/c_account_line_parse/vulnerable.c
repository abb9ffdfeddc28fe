#include <limits.h>
#include <stdio.h>
#include <string.h>

#define ACCOUNT_NAME_MAX 32
#define ACCOUNT_HOME_MAX 64

struct account {
    char name[ACCOUNT_NAME_MAX]; /* login name, NUL-terminated */
    unsigned int uid;
    char home[ACCOUNT_HOME_MAX]; /* home directory, NUL-terminated */
};

/*
 * Parse one line of an accounts file, "name:uid:home", into *out.
 *
 * - A single trailing '\n' is not part of the line.
 * - name: everything before the first ':'; must be non-empty.
 * - uid: the digits between the first and second ':'; must be a non-empty decimal number
 *   that fits in an unsigned int.
 * - home: everything after the second ':' (it may itself contain ':'); must be non-empty.
 *
 * Returns 0 on success. Returns -1 if the line is malformed, or if name or home does not
 * fit in its field together with the terminating NUL (name at most 31 bytes, home at most
 * 63 bytes). Lines come from a file users can edit, so fields may be arbitrarily long; the
 * function must never write outside *out.
 */
int parse_account_line(const char *line, struct account *out)
{
    if (line == NULL || out == NULL)
        return -1;
    if (sscanf(line, "%[^:]:%u:%[^\n]", out->name, &out->uid, out->home) != 3)
        return -1;
    return 0;
}
