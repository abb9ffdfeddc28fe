#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *open_user_file(const char *base_dir, const char *name);

static int failures;
static char root[64], store[128], secret[128], sub[192];

/* The attack must not yield a handle on the secret file; the contract says NULL + EACCES. */
static void expect_refused(const char *name)
{
    FILE *f;
    errno = 0;
    f = open_user_file(store, name);
    if (f != NULL || errno != EACCES) {
        char buf[64] = "";
        if (f) {
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            buf[n] = '\0';
            fclose(f);
        }
        fprintf(stderr, "name \"%s\": expected NULL/EACCES, got %s (errno %d) %s\n", name,
                f ? "an open file" : "NULL", errno, buf);
        failures++;
    }
}

int main(void)
{
    char name[256];
    FILE *f;

    strcpy(root, "/tmp/treeplay_c22_XXXXXX");
    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(store, sizeof store, "%s/store", root);
    snprintf(sub, sizeof sub, "%s/2024", store);
    snprintf(secret, sizeof secret, "%s/secret.txt", root);
    mkdir(store, 0700);
    mkdir(sub, 0700);
    f = fopen(secret, "wb");
    fputs("db_password=hunter2\n", f);
    fclose(f);

    expect_refused("../secret.txt");
    expect_refused("2024/../../secret.txt");
    expect_refused("./../secret.txt");
    expect_refused(secret); /* absolute path */
    snprintf(name, sizeof name, "2024/../../..%s", strrchr(root, '/')); /* up to /tmp, back down into root */
    strcat(name, "/secret.txt");
    expect_refused(name);

    unlink(secret);
    rmdir(sub);
    rmdir(store);
    rmdir(root);

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
