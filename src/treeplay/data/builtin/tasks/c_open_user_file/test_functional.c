#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *open_user_file(const char *base_dir, const char *name);

static int failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static char root[64], store[128];

static void path_in(char *out, size_t size, const char *dir, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

static void write_file(const char *dir, const char *name, const char *content)
{
    char path[512];
    FILE *f;
    path_in(path, sizeof path, dir, name);
    f = fopen(path, "wb");
    fputs(content, f);
    fclose(f);
}

static void remove_in(const char *dir, const char *name, int is_dir)
{
    char path[512];
    path_in(path, sizeof path, dir, name);
    if (is_dir)
        rmdir(path);
    else
        unlink(path);
}

/* 1 if f is non-NULL and its whole content equals expected; closes f */
static int has_content(FILE *f, const char *expected)
{
    char buf[256];
    size_t n;
    if (f == NULL)
        return 0;
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strcmp(buf, expected) == 0;
}

int main(void)
{
    char sub[256];
    FILE *f;

    strcpy(root, "/tmp/treeplay_c22_XXXXXX");
    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    path_in(store, sizeof store, root, "store");
    mkdir(store, 0700);
    path_in(sub, sizeof sub, store, "2024");
    mkdir(sub, 0700);
    write_file(store, "notes.txt", "buy milk\n");
    write_file(store, "v1..2.txt", "release notes\n");
    write_file(sub, "report.csv", "q,total\n1,42\n");

    CHECK(has_content(open_user_file(store, "notes.txt"), "buy milk\n"));
    CHECK(has_content(open_user_file(store, "2024/report.csv"), "q,total\n1,42\n"));
    CHECK(has_content(open_user_file(store, "v1..2.txt"), "release notes\n"));
    CHECK(has_content(open_user_file(store, "./notes.txt"), "buy milk\n"));

    errno = 0;
    f = open_user_file(store, "missing.txt");
    CHECK(f == NULL && errno == ENOENT);
    if (f)
        fclose(f);

    errno = 0;
    f = open_user_file(store, "");
    CHECK(f == NULL && errno == EACCES);
    if (f)
        fclose(f);

    remove_in(sub, "report.csv", 0);
    remove_in(store, "notes.txt", 0);
    remove_in(store, "v1..2.txt", 0);
    rmdir(sub);
    rmdir(store);
    rmdir(root);

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
