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

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

int main(void)
{
    struct account acct;

    memset(&acct, 0, sizeof acct);
    CHECK(parse_account_line("alice:1001:/home/alice", &acct) == 0);
    CHECK(strcmp(acct.name, "alice") == 0);
    CHECK(acct.uid == 1001);
    CHECK(strcmp(acct.home, "/home/alice") == 0);

    /* trailing newline is dropped, uid 0 is valid */
    CHECK(parse_account_line("root:0:/root\n", &acct) == 0);
    CHECK(strcmp(acct.name, "root") == 0);
    CHECK(acct.uid == 0);
    CHECK(strcmp(acct.home, "/root") == 0);

    /* home may contain ':' */
    CHECK(parse_account_line("svc:4294967295:/srv/data:cache", &acct) == 0);
    CHECK(acct.uid == 4294967295u);
    CHECK(strcmp(acct.home, "/srv/data:cache") == 0);

    /* malformed lines */
    CHECK(parse_account_line("", &acct) == -1);
    CHECK(parse_account_line("bob", &acct) == -1);
    CHECK(parse_account_line("bob:1002", &acct) == -1);
    CHECK(parse_account_line(":1002:/home/x", &acct) == -1);
    CHECK(parse_account_line("bob::/home/bob", &acct) == -1);
    CHECK(parse_account_line("bob:abc:/home/bob", &acct) == -1);
    CHECK(parse_account_line("bob:12x:/home/bob", &acct) == -1);
    CHECK(parse_account_line("bob:1002:", &acct) == -1);
    CHECK(parse_account_line("bob:1002:\n", &acct) == -1);

    /* longest values that still fit */
    {
        char *name = repeat('n', 31), *home = repeat('h', 63);
        char line[200];
        snprintf(line, sizeof line, "%s:7:%s\n", name, home);
        CHECK(parse_account_line(line, &acct) == 0);
        CHECK(strcmp(acct.name, name) == 0);
        CHECK(acct.uid == 7);
        CHECK(strcmp(acct.home, home) == 0);
        free(name);
        free(home);
    }

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
