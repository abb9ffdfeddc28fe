#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

/* Header values whose product does not fit in 32 bits: the only correct answer is NULL. A
 * buffer allocated from a wrapped size would be far smaller than the decoder will write. */
static void expect_rejected(uint32_t w, uint32_t h, uint32_t c)
{
    struct image *img = image_create(w, h, c);
    if (img != NULL) {
        fprintf(stderr, "image_create(%u, %u, %u) returned an image (product %llu bytes)\n", w, h, c,
                (unsigned long long)w * h * c);
        image_free(img);
        failures++;
    }
}

int main(void)
{
    expect_rejected(65536, 65537, 1);      /* 2^32 + 2^16 wraps to 65536 */
    expect_rejected(0x55555556u, 3, 1);    /* wraps to 2 */
    expect_rejected(65536, 32768, 4);      /* 2^33 wraps to 0 */
    expect_rejected(0x40000001u, 2, 2);    /* width*height wraps to 2, times 2 */

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
