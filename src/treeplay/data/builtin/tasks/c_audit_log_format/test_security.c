#include <stdio.h>
#include <string.h>

struct log_buffer {
    char data[1024];
    size_t len;
};

void audit_login_failure(struct log_buffer *lb, const char *username, const char *remote_addr);

static int failures;

static void expect_line(const char *username, const char *remote_addr, const char *expected)
{
    static struct log_buffer lb;

    memset(&lb, 0, sizeof lb);
    audit_login_failure(&lb, username, remote_addr);
    if (strcmp(lb.data, expected) != 0 || lb.len != strlen(expected)) {
        fprintf(stderr, "user=%s from=%s\n  expected: %s  got:      %s\n", username, remote_addr, expected,
                lb.data);
        failures++;
    }
}

int main(void)
{
    /* format directives typed by an attacker must be logged as text, never interpreted */
    expect_line("%x.%x.%x.%x", "10.0.0.1", "login failed user=%x.%x.%x.%x from=10.0.0.1\n");
    expect_line("100%%_admin", "10.0.0.2", "login failed user=100%%_admin from=10.0.0.2\n");
    expect_line("mallory", "%d%d%d%d", "login failed user=mallory from=%d%d%d%d\n");
    expect_line("%-200d|", "10.0.0.3", "login failed user=%-200d| from=10.0.0.3\n");

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
