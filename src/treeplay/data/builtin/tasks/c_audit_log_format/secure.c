#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define AUDIT_USER_MAX 64

/* In-memory audit log that is flushed to disk by another thread. */
struct log_buffer {
    char data[1024];
    size_t len; /* bytes used in data, not counting the NUL that always follows them */
};

/* printf-style append to the log; whatever does not fit is silently cut off. */
static void log_append(struct log_buffer *lb, const char *fmt, ...)
{
    va_list ap;
    size_t room = sizeof lb->data - lb->len;
    int n;

    if (room <= 1)
        return;
    va_start(ap, fmt);
    n = vsnprintf(lb->data + lb->len, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    lb->len += (size_t)n < room ? (size_t)n : room - 1;
}

/*
 * Record a failed login attempt: append exactly one line
 *     "login failed user=<username> from=<remote_addr>\n"
 * to the audit log using log_append.
 *
 * username and remote_addr come straight from the network and are logged verbatim, including
 * any '%' characters, with two exceptions that keep one attempt on one line: every control
 * character in username (bytes 0x01-0x1f and 0x7f) is replaced by '?', and only the first
 * AUDIT_USER_MAX (64) bytes of username are logged.
 */
void audit_login_failure(struct log_buffer *lb, const char *username, const char *remote_addr)
{
    char user[AUDIT_USER_MAX + 1];
    size_t i;

    for (i = 0; i < AUDIT_USER_MAX && username[i] != '\0'; i++) {
        unsigned char c = (unsigned char)username[i];
        user[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    user[i] = '\0';
    log_append(lb, "login failed user=%s from=%s\n", user, remote_addr);
}
