#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int append_header(char *buf, size_t bufsize, size_t *used, const char *name, const char *value);

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
    /* Buffers are heap blocks of exactly bufsize bytes: writing past them is caught by ASan. */

    /* an attacker-controlled value much larger than the buffer */
    {
        char *buf = malloc(64);
        char *value = repeat('A', 1000);
        size_t used = 0;
        strcpy(buf, "HTTP/1.1 200 OK\r\n");
        used = strlen(buf);
        CHECK(append_header(buf, 64, &used, "X-Request-Id", value) == -1);
        CHECK(used == 17);
        CHECK(strcmp(buf, "HTTP/1.1 200 OK\r\n") == 0);
        free(value);
        free(buf);
    }

    /* the line fills the buffer exactly, leaving no room for the NUL */
    {
        char *buf = malloc(32);
        size_t used = 0;
        buf[0] = '\0';
        /* "X-Trace: " (9) + 21 + "\r\n" (2) = 32 bytes */
        CHECK(append_header(buf, 32, &used, "X-Trace", "abcdefghijklmnopqrstu") == -1);
        CHECK(used == 0);
        CHECK(buf[0] == '\0');
        /* one byte shorter fits */
        CHECK(append_header(buf, 32, &used, "X-Trace", "abcdefghijklmnopqrst") == 0);
        CHECK(used == 31);
        free(buf);
    }

    /* little space left near the end of a partly filled buffer */
    {
        char *buf = malloc(48);
        size_t used;
        memset(buf, 'x', 40);
        buf[40] = '\0';
        used = 40;
        CHECK(append_header(buf, 48, &used, "Via", "proxy-01.internal") == -1);
        CHECK(used == 40);
        CHECK(strlen(buf) == 40);
        free(buf);
    }

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
