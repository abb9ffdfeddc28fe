#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Compress one log file for the log-viewer's "archive" button.
 *
 * Runs the system gzip tool as `gzip -k -f -- <dir>/<filename>` (found through PATH), so that
 * <dir>/<filename>.gz is created and the original file is kept. filename is chosen by a user of
 * the web UI and may contain any characters (spaces, quotes, ';', '$', ...): it must reach gzip
 * as part of one single argument and must never be interpreted by a shell.
 *
 * Returns 0 if gzip ran and exited with status 0, and -1 otherwise (gzip failed, e.g. because the
 * file does not exist, could not be started, or the path does not fit in PATH_MAX bytes).
 */
int compress_log(const char *dir, const char *filename)
{
    char cmd[PATH_MAX + 64];
    FILE *p;
    int n, status;

    /* single quotes so names with spaces work */
    n = snprintf(cmd, sizeof cmd, "gzip -k -f -- '%s/%s' 2>&1", dir, filename);
    if (n < 0 || (size_t)n >= sizeof cmd)
        return -1;
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    while (fgetc(p) != EOF)
        ;
    status = pclose(p);
    return (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) ? 0 : -1;
}
