#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int compress_log(const char *dir, const char *filename);

static int failures;
static char dir[64];

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static int exists(const char *name)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

static void write_file(const char *name, const char *content)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    fputs(content, f);
    fclose(f);
}

/* The .gz must decompress to the original content (checked by reading the gzip trailer size). */
static long gz_original_size(const char *name)
{
    char path[512];
    unsigned char t[4];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    if (fseek(f, -4, SEEK_END) != 0 || fread(t, 1, 4, f) != 4) {
        fclose(f);
        return -1;
    }
    fclose(f);
    return (long)t[0] | (long)t[1] << 8 | (long)t[2] << 16 | (long)t[3] << 24;
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

int main(void)
{
    strcpy(dir, "/tmp/treeplay_c78_XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    write_file("app.log", "GET / 200\nGET /about 200\n");
    write_file("web server (old).log", "line\n");

    CHECK(compress_log(dir, "app.log") == 0);
    CHECK(exists("app.log.gz"));
    CHECK(exists("app.log")); /* original kept */
    CHECK(gz_original_size("app.log.gz") == 25);

    /* names with spaces and parentheses are ordinary file names */
    CHECK(compress_log(dir, "web server (old).log") == 0);
    CHECK(exists("web server (old).log.gz"));
    CHECK(gz_original_size("web server (old).log.gz") == 5);

    /* compressing again overwrites the archive (-f) */
    CHECK(compress_log(dir, "app.log") == 0);

    /* missing file: gzip fails */
    CHECK(compress_log(dir, "missing.log") == -1);
    CHECK(!exists("missing.log.gz"));

    cleanup();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
