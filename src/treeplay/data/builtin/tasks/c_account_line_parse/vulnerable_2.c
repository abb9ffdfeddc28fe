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
    const char *colon1, *colon2, *home, *p;
    size_t name_len, home_len;
    unsigned long uid = 0;

    if (line == NULL || out == NULL)
        return -1;
    colon1 = strchr(line, ':');
    if (colon1 == NULL || colon1 == line)
        return -1;
    colon2 = strchr(colon1 + 1, ':');
    if (colon2 == NULL || colon2 == colon1 + 1)
        return -1;
    for (p = colon1 + 1; p < colon2; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        uid = uid * 10 + (unsigned long)(*p - '0');
        if (uid > UINT_MAX)
            return -1;
    }
    home = colon2 + 1;
    name_len = (size_t)(colon1 - line);
    home_len = strcspn(home, "\n");
    if (home_len == 0)
        return -1;
    /* make sure both fields fit */
    if (name_len > ACCOUNT_NAME_MAX || home_len > ACCOUNT_HOME_MAX)
        return -1;

    memcpy(out->name, line, name_len);
    out->name[name_len] = '\0';
    out->uid = (unsigned int)uid;
    memcpy(out->home, home, home_len);
    out->home[home_len] = '\0';
    return 0;
}
