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
    size_t name_len, value_len, line_len, room;
    char *p;

    if (buf == NULL || used == NULL || name == NULL || value == NULL || *used >= bufsize)
        return -1;
    if (*name == '\0' || strpbrk(name, "\r\n") != NULL || strpbrk(value, "\r\n") != NULL)
        return -1;

    name_len = strlen(name);
    value_len = strlen(value);
    room = bufsize - *used;
    /* "name" ": " "value" "\r\n" plus NUL, checked step by step so nothing can wrap */
    if (name_len >= room || value_len >= room)
        return -1;
    line_len = name_len + 2 + value_len + 2;
    if (line_len >= room)
        return -1;

    p = buf + *used;
    memcpy(p, name, name_len);
    p += name_len;
    memcpy(p, ": ", 2);
    p += 2;
    memcpy(p, value, value_len);
    p += value_len;
    memcpy(p, "\r\n", 3);
    *used += line_len;
    return 0;
}
