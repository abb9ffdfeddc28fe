#include <stdio.h>
#include <string.h>

/*
 * Append the header line "<name>: <value>\r\n" to an HTTP response header block that is being
 * built in a caller-provided buffer.
 *
 * buf has room for bufsize bytes and currently holds a NUL-terminated string of *used bytes
 * (*used < bufsize). On success the line is appended, buf stays NUL-terminated, *used is
 * increased by the length of the line, and 0 is returned.
 *
 * Returns -1 and leaves both buf and *used unchanged if name is empty, if name or value
 * contains '\r' or '\n', or if the line plus the terminating NUL does not fit in the space left
 * (bufsize - *used bytes). Values come from request data and can be of any length.
 */
int append_header(char *buf, size_t bufsize, size_t *used, const char *name, const char *value)
{
    size_t line_len;

    if (*name == '\0' || strpbrk(name, "\r\n") != NULL || strpbrk(value, "\r\n") != NULL)
        return -1;
    line_len = strlen(name) + 2 + strlen(value) + 2;
    if (*used + line_len > bufsize)
        return -1;
    strcat(buf, name);
    strcat(buf, ": ");
    strcat(buf, value);
    strcat(buf, "\r\n");
    *used += line_len;
    return 0;
}
