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
    char path[PATH_MAX];
    int n, status;
    pid_t pid;

    n = snprintf(path, sizeof path, "%s/%s", dir, filename);
    if (n < 0 || (size_t)n >= sizeof path)
        return -1;

    fflush(NULL);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char *const argv[] = {"gzip", "-k", "-f", "--", path, NULL};
        execvp("gzip", argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return (WIFEXITED(status) && WEXITSTATUS(status) == 0) ? 0 : -1;
}
