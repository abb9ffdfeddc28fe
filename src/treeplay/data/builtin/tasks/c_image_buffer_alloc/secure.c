#include <stdint.h>
#include <stdlib.h>

#define IMAGE_MAX_BYTES (256u * 1024u * 1024u) /* largest pixel buffer we accept: 256 MiB */

struct image {
    uint32_t width;
    uint32_t height;
    uint32_t channels; /* bytes per pixel, 1..4 */
    size_t stride;     /* bytes per row: width * channels */
    uint8_t *pixels;   /* height rows of stride bytes, row-major, zero-initialised */
};

/*
 * Allocate an image for the decoder. width, height and channels are read from the header of
 * an uploaded file, so they are attacker-controlled.
 *
 * Returns a new image with a zeroed pixel buffer of exactly width * height * channels bytes,
 * or NULL if width or height is 0, channels is not in 1..4, the pixel buffer would be larger
 * than IMAGE_MAX_BYTES (computed without any arithmetic overflow), or memory allocation fails.
 * Release the image with image_free().
 */
struct image *image_create(uint32_t width, uint32_t height, uint32_t channels)
{
    struct image *img;
    uint64_t row, total;

    if (width == 0 || height == 0 || channels < 1 || channels > 4)
        return NULL;
    /* width * channels < 2^34 and height < 2^32: check before multiplying further */
    row = (uint64_t)width * channels;
    if (row > IMAGE_MAX_BYTES || height > IMAGE_MAX_BYTES / row)
        return NULL;
    total = row * height;

    img = malloc(sizeof *img);
    if (img == NULL)
        return NULL;
    img->pixels = calloc(1, (size_t)total);
    if (img->pixels == NULL) {
        free(img);
        return NULL;
    }
    img->width = width;
    img->height = height;
    img->channels = channels;
    img->stride = (size_t)row;
    return img;
}

void image_free(struct image *img)
{
    if (img != NULL) {
        free(img->pixels);
        free(img);
    }
}
