#include <stdio.h>
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

int main(void)
{
    char buf[512];
    size_t used;

    strcpy(buf, "HTTP/1.1 200 OK\r\n");
    used = strlen(buf);

    CHECK(append_header(buf, sizeof buf, &used, "Content-Type", "text/html; charset=utf-8") == 0);
    CHECK(append_header(buf, sizeof buf, &used, "Content-Length", "1234") == 0);
    CHECK(append_header(buf, sizeof buf, &used, "X-Empty", "") == 0);
    CHECK(strcmp(buf, "HTTP/1.1 200 OK\r\n"
                      "Content-Type: text/html; charset=utf-8\r\n"
                      "Content-Length: 1234\r\n"
                      "X-Empty: \r\n") == 0);
    CHECK(used == strlen(buf));

    /* invalid input leaves everything unchanged */
    {
        char before[512];
        size_t used_before = used;
        strcpy(before, buf);
        CHECK(append_header(buf, sizeof buf, &used, "", "x") == -1);
        CHECK(append_header(buf, sizeof buf, &used, "X-Bad\r\nName", "x") == -1);
        CHECK(append_header(buf, sizeof buf, &used, "Location", "/next\r\nSet-Cookie: a=b") == -1);
        CHECK(append_header(buf, sizeof buf, &used, "Location", "/next\n") == -1);
        CHECK(used == used_before);
        CHECK(strcmp(buf, before) == 0);
    }

    /* starting from an empty buffer */
    {
        char small[64] = "";
        size_t n = 0;
        CHECK(append_header(small, sizeof small, &n, "Server", "treeplay") == 0);
        CHECK(strcmp(small, "Server: treeplay\r\n") == 0);
        CHECK(n == 18);
    }

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
