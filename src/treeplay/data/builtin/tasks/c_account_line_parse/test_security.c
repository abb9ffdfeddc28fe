#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct account {
    char name[32];
    unsigned int uid;
    char home[64];
};

int parse_account_line(const char *line, struct account *out);

static int failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                      \
        }                                                                    \
    } while (0)

/* Line "<name_len x 'n'>:1000:<home_len x 'h'>" parsed into an exactly sized heap struct,
 * so any write past the struct is caught by AddressSanitizer. */
static int parse_with_lengths(size_t name_len, size_t home_len)
{
    char *line = malloc(name_len + home_len + 16);
    struct account *acct = malloc(sizeof *acct);
    int rc;

    memset(line, 'n', name_len);
    memcpy(line + name_len, ":1000:", 6);
    memset(line + name_len + 6, 'h', home_len);
    line[name_len + 6 + home_len] = '\0';
    rc = parse_account_line(line, acct);
    free(acct);
    free(line);
    return rc;
}

int main(void)
{
    /* a very long login name must be rejected, not copied over uid/home and beyond */
    CHECK(parse_with_lengths(400, 5) == -1);
    /* a very long home directory must be rejected */
    CHECK(parse_with_lengths(5, 400) == -1);
    /* one byte too long: no room left for the terminating NUL */
    CHECK(parse_with_lengths(32, 5) == -1);
    CHECK(parse_with_lengths(5, 64) == -1);

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
