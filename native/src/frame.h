/* Frame codec: a varint32 byte count followed by that many bytes of one
 * protobuf message. Pure functions over buffers plus a small reader that
 * accumulates bytes from a stream socket. */
#ifndef NSENTRY_FRAME_H
#define NSENTRY_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* Largest varint32 encoding. */
#define FRAME_PREFIX_MAX 5

enum frame_status {
	FRAME_OK = 0,        /* a complete frame is available */
	FRAME_NEED_MORE,     /* the buffer ends inside the prefix or the body */
	FRAME_MALFORMED,     /* the prefix is not a valid varint32 */
	FRAME_TOO_LARGE,     /* the prefix announces more than the limit */
};

const char *frame_status_str(enum frame_status s);

/* Encode len as a varint into out; returns the number of bytes written. */
size_t frame_encode_prefix(uint32_t len, uint8_t out[FRAME_PREFIX_MAX]);

/* Decode the prefix at the start of buf[0..n). On FRAME_OK, *len is the body
 * length and *prefix_len the number of prefix bytes. A body length above
 * max_len is FRAME_TOO_LARGE (checked as soon as the prefix is complete, before
 * any of the body has arrived). */
enum frame_status frame_decode_prefix(const uint8_t *buf, size_t n, uint32_t max_len,
				      uint32_t *len, size_t *prefix_len);

/* Accumulates stream bytes and hands out complete frames. */
struct frame_reader {
	uint8_t *buf;
	size_t len;       /* bytes held */
	size_t cap;
	size_t consumed;  /* bytes of buf already handed out (reclaimed lazily) */
	uint32_t max_len;
};

void frame_reader_init(struct frame_reader *r, uint32_t max_len);
void frame_reader_free(struct frame_reader *r);

/* Append bytes (used by tests and by frame_reader_fill). Returns 0 or -ENOMEM. */
int frame_reader_append(struct frame_reader *r, const uint8_t *data, size_t n);

/* One read(2) from fd into the reader. Returns the number of bytes read, 0 at
 * EOF, or -errno (-EAGAIN when nothing is available on a non-blocking read). */
long frame_reader_fill(struct frame_reader *r, int fd, int flags);

/* The next complete frame, if any. On FRAME_OK, *body and *body_len point into the
 * reader's buffer and stay valid until the next call on the reader. */
enum frame_status frame_reader_next(struct frame_reader *r, const uint8_t **body,
				    size_t *body_len);

/* Bytes held that do not yet form a complete frame. */
size_t frame_reader_pending(const struct frame_reader *r);

/* Write prefix + body to fd completely (MSG_NOSIGNAL). Returns 0 or -errno. */
int frame_write(int fd, const uint8_t *body, size_t body_len);

#endif
