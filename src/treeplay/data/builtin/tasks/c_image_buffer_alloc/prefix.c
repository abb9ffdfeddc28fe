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
