#include <stdio.h>
#include <string.h>

struct log_buffer {
    char data[1024];
    size_t len;
};

void audit_login_failure(struct log_buffer *lb, const char *username, const char *remote_addr);

static int failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static void reset(struct log_buffer *lb)
{
    memset(lb, 0, sizeof *lb);
}

int main(void)
{
    static struct log_buffer lb;

    reset(&lb);
    audit_login_failure(&lb, "alice", "10.0.0.7");
    CHECK(strcmp(lb.data, "login failed user=alice from=10.0.0.7\n") == 0);
    CHECK(lb.len == strlen(lb.data));
    audit_login_failure(&lb, "bob", "2001:db8::1");
    CHECK(strcmp(lb.data, "login failed user=alice from=10.0.0.7\n"
                          "login failed user=bob from=2001:db8::1\n") == 0);
    CHECK(lb.len == strlen(lb.data));

    /* control characters cannot forge a second log line */
    reset(&lb);
    audit_login_failure(&lb, "eve\nlogin ok user=root\r\t\x7f", "192.0.2.1");
    CHECK(strcmp(lb.data, "login failed user=eve?login ok user=root??? from=192.0.2.1\n") == 0);

    /* only the first 64 bytes of the user name are logged */
    {
        char name[101], expected[200];
        memset(name, 'u', 100);
        name[100] = '\0';
        snprintf(expected, sizeof expected, "login failed user=%.64s from=198.51.100.3\n", name);
        reset(&lb);
        audit_login_failure(&lb, name, "198.51.100.3");
        CHECK(strcmp(lb.data, expected) == 0);
    }

    /* a nearly full log is cut off, never overrun */
    reset(&lb);
    memset(lb.data, 'x', 1000);
    lb.len = 1000;
    audit_login_failure(&lb, "carol", "203.0.113.9");
    CHECK(lb.len == 1023);
    CHECK(lb.data[1023] == '\0');
    CHECK(strncmp(lb.data + 1000, "login failed user=carol", 23) == 0);

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
