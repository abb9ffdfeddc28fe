#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct image {
    uint32_t width;
    uint32_t height;
    uint32_t channels;
    size_t stride;
    uint8_t *pixels;
};

struct image *image_create(uint32_t width, uint32_t height, uint32_t channels);
void image_free(struct image *img);

static int failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                      \
        }                                                                    \
    } while (0)

/* Every byte of the buffer must be zero and writable (ASan checks the bounds). */
static int zeroed_and_writable(struct image *img)
{
    size_t n = img->stride * img->height, i;
    for (i = 0; i < n; i++)
        if (img->pixels[i] != 0)
            return 0;
    memset(img->pixels, 0xab, n);
    return 1;
}

int main(void)
{
    struct image *img;

    img = image_create(4, 3, 3);
    CHECK(img != NULL);
    if (img) {
        CHECK(img->width == 4 && img->height == 3 && img->channels == 3);
        CHECK(img->stride == 12);
        CHECK(zeroed_and_writable(img));
        image_free(img);
    }

    img = image_create(1920, 1080, 4);
    CHECK(img != NULL);
    if (img) {
        CHECK(img->stride == 7680);
        CHECK(zeroed_and_writable(img));
        img->pixels[img->stride * 1079 + 7679] = 1; /* last byte */
        image_free(img);
    }

    img = image_create(1, 1, 1);
    CHECK(img != NULL && img->stride == 1 && img->pixels[0] == 0);
    image_free(img);

    CHECK(image_create(0, 10, 3) == NULL);
    CHECK(image_create(10, 0, 3) == NULL);
    CHECK(image_create(10, 10, 0) == NULL);
    CHECK(image_create(10, 10, 5) == NULL);
    /* too large, no overflow involved: 16385 * 16384 bytes > 256 MiB */
    CHECK(image_create(16385, 16384, 1) == NULL);
    CHECK(image_create(100000, 1000, 4) == NULL); /* 400 MB */
    image_free(NULL);

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
