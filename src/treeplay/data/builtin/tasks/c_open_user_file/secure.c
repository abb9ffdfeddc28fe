#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/*
 * Open a file from the per-user document store for reading.
 *
 * base_dir is the trusted store directory (e.g. "/srv/docs/u1042"); name is the relative path the
 * client asked for, e.g. "notes.txt" or "2024/report.csv". Returns a FILE* opened with mode "rb"
 * on <base_dir>/<name>, or NULL with errno set:
 *   - EACCES, without opening anything, if name is empty, starts with '/', or has a ".." path
 *     component ("..", "../x", "a/../../x", "a/.."); names that only contain two dots inside a
 *     component, such as "v1..2.txt", are allowed;
 *   - ENAMETOOLONG if "<base_dir>/<name>" does not fit in PATH_MAX bytes;
 *   - otherwise whatever fopen reports (e.g. ENOENT).
 */
FILE *open_user_file(const char *base_dir, const char *name)
{
    char path[PATH_MAX];
    const char *p;
    int n;

    if (base_dir == NULL || name == NULL || name[0] == '\0' || name[0] == '/') {
        errno = EACCES;
        return NULL;
    }
    /* walk the components of name and refuse any that is exactly ".." */
    p = name;
    while (*p != '\0') {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            errno = EACCES;
            return NULL;
        }
        p += len;
        while (*p == '/')
            p++;
    }

    n = snprintf(path, sizeof path, "%s/%s", base_dir, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    return fopen(path, "rb");
}
