#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int compress_log(const char *dir, const char *filename);

static int failures;
static char dir[64];

static int exists(const char *name)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

static void cleanup(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* filename_fmt contains one %s that becomes the absolute path of the marker file. The injected
 * command would create the marker; the file name does not exist, so gzip itself must fail. */
static void attack(const char *filename_fmt, const char *marker)
{
    char marker_path[256], filename[512];
    int rc;

    snprintf(marker_path, sizeof marker_path, "%s/%s", dir, marker);
    snprintf(filename, sizeof filename, filename_fmt, marker_path);
    rc = compress_log(dir, filename);
    if (exists(marker)) {
        fprintf(stderr, "filename [%s]: injected command ran (marker created)\n", filename);
        failures++;
    }
    if (rc != -1) {
        fprintf(stderr, "filename [%s]: expected -1 for a file that does not exist, got %d\n", filename, rc);
        failures++;
    }
}

int main(void)
{
    FILE *f;
    char path[256];

    strcpy(dir, "/tmp/treeplay_c78_XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(path, sizeof path, "%s/x.log", dir);
    f = fopen(path, "wb");
    fputs("data\n", f);
    fclose(f);

    attack("x.log; touch %s", "pwned1");
    attack("x.log\"; touch \"%s\"; echo \"", "pwned2");
    attack("$(touch %s)", "pwned3");
    attack("x.log'; touch '%s'; echo '", "pwned4");
    attack("`touch %s`", "pwned5");

    cleanup();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
