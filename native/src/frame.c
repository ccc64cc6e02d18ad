#include "frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

const char *frame_status_str(enum frame_status s)
{
	switch (s) {
	case FRAME_OK: return "ok";
	case FRAME_NEED_MORE: return "truncated frame";
	case FRAME_MALFORMED: return "malformed length prefix";
	case FRAME_TOO_LARGE: return "frame exceeds the size limit";
	}
	return "unknown frame status";
}

size_t frame_encode_prefix(uint32_t len, uint8_t out[FRAME_PREFIX_MAX])
{
	size_t i = 0;
	while (len >= 0x80) {
		out[i++] = (uint8_t)(len | 0x80);
		len >>= 7;
	}
	out[i++] = (uint8_t)len;
	return i;
}

enum frame_status frame_decode_prefix(const uint8_t *buf, size_t n, uint32_t max_len,
				      uint32_t *len, size_t *prefix_len)
{
	uint64_t value = 0;
	for (size_t i = 0; i < FRAME_PREFIX_MAX; i++) {
		if (i >= n)
			return FRAME_NEED_MORE;
		uint8_t b = buf[i];
		value |= (uint64_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			/* The fifth byte may carry only the top 4 bits of a uint32. */
			if (value > UINT32_MAX)
				return FRAME_MALFORMED;
			if (value > max_len)
				return FRAME_TOO_LARGE;
			*len = (uint32_t)value;
			*prefix_len = i + 1;
			return FRAME_OK;
		}
	}
	return FRAME_MALFORMED;
}

void frame_reader_init(struct frame_reader *r, uint32_t max_len)
{
	memset(r, 0, sizeof *r);
	r->max_len = max_len;
}

void frame_reader_free(struct frame_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof *r);
}

/* Drop bytes already handed out, so the buffer holds only unread data. */
static void compact(struct frame_reader *r)
{
	if (r->consumed == 0)
		return;
	memmove(r->buf, r->buf + r->consumed, r->len - r->consumed);
	r->len -= r->consumed;
	r->consumed = 0;
}

static int reserve(struct frame_reader *r, size_t extra)
{
	compact(r);
	if (r->cap - r->len >= extra)
		return 0;
	size_t cap = r->cap ? r->cap : 4096;
	while (cap - r->len < extra)
		cap *= 2;
	uint8_t *nb = realloc(r->buf, cap);
	if (nb == NULL)
		return -ENOMEM;
	r->buf = nb;
	r->cap = cap;
	return 0;
}

int frame_reader_append(struct frame_reader *r, const uint8_t *data, size_t n)
{
	int rc = reserve(r, n);
	if (rc < 0)
		return rc;
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	return 0;
}

long frame_reader_fill(struct frame_reader *r, int fd, int flags)
{
	int rc = reserve(r, 4096);
	if (rc < 0)
		return rc;
	for (;;) {
		ssize_t got = recv(fd, r->buf + r->len, r->cap - r->len, flags);
		if (got >= 0) {
			r->len += (size_t)got;
			return got;
		}
		if (errno != EINTR)
			return -errno;
	}
}

enum frame_status frame_reader_next(struct frame_reader *r, const uint8_t **body,
				    size_t *body_len)
{
	const uint8_t *p = r->buf + r->consumed;
	size_t avail = r->len - r->consumed;
	uint32_t len;
	size_t plen;
	enum frame_status st = frame_decode_prefix(p, avail, r->max_len, &len, &plen);
	if (st != FRAME_OK)
		return st;
	if (avail - plen < len)
		return FRAME_NEED_MORE;
	*body = p + plen;
	*body_len = len;
	r->consumed += plen + len;
	return FRAME_OK;
}

size_t frame_reader_pending(const struct frame_reader *r)
{
	return r->len - r->consumed;
}

int frame_write(int fd, const uint8_t *body, size_t body_len)
{
	uint8_t prefix[FRAME_PREFIX_MAX];
	if (body_len > UINT32_MAX)
		return -EMSGSIZE;
	size_t plen = frame_encode_prefix((uint32_t)body_len, prefix);
	struct iovec iov[2] = {
		{ .iov_base = prefix, .iov_len = plen },
		{ .iov_base = (void *)body, .iov_len = body_len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	while (mh.msg_iovlen > 0) {
		ssize_t sent = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		size_t left = (size_t)sent;
		while (mh.msg_iovlen > 0 && left >= mh.msg_iov[0].iov_len) {
			left -= mh.msg_iov[0].iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen > 0) {
			mh.msg_iov[0].iov_base = (uint8_t *)mh.msg_iov[0].iov_base + left;
			mh.msg_iov[0].iov_len -= left;
		}
	}
	return 0;
}
