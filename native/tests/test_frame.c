/* Frame codec: varint32 prefixes, the stream reader, limits. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frame.h"
#include "tharness.h"

#define LIMIT (1u << 20)

static void test_prefix_round_trip(struct trun *t)
{
	static const struct { uint32_t v; size_t len; } cases[] = {
		{ 0, 1 }, { 1, 1 }, { 127, 1 }, { 128, 2 }, { 300, 2 }, { 16383, 2 },
		{ 16384, 3 }, { LIMIT, 3 }, { 2097151, 3 }, { 2097152, 4 }, { UINT32_MAX, 5 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t buf[FRAME_PREFIX_MAX];
		size_t n = frame_encode_prefix(cases[i].v, buf);
		CHECKF(t, n == cases[i].len, "value %u encoded in %zu bytes", cases[i].v, n);
		uint32_t len = 0;
		size_t plen = 0;
		enum frame_status st = frame_decode_prefix(buf, n, UINT32_MAX, &len, &plen);
		CHECKF(t, st == FRAME_OK && len == cases[i].v && plen == n, "value %u: %s %u %zu",
		       cases[i].v, frame_status_str(st), len, plen);
	}
	/* 300 is the protobuf documentation's example: 0xac 0x02. */
	uint8_t b[FRAME_PREFIX_MAX];
	frame_encode_prefix(300, b);
	CHECK(t, b[0] == 0xac && b[1] == 0x02);
}

static void test_truncated_prefix(struct trun *t)
{
	uint8_t buf[] = { 0x80, 0x80 };
	uint32_t len;
	size_t plen;
	CHECK(t, frame_decode_prefix(buf, 0, LIMIT, &len, &plen) == FRAME_NEED_MORE);
	CHECK(t, frame_decode_prefix(buf, 1, LIMIT, &len, &plen) == FRAME_NEED_MORE);
	CHECK(t, frame_decode_prefix(buf, 2, LIMIT, &len, &plen) == FRAME_NEED_MORE);
}

static void test_truncated_body(struct trun *t)
{
	struct frame_reader r;
	frame_reader_init(&r, LIMIT);
	uint8_t frame[] = { 5, 'h', 'e', 'l' };
	CHECK(t, frame_reader_append(&r, frame, sizeof frame) == 0);
	const uint8_t *body;
	size_t blen;
	CHECK(t, frame_reader_next(&r, &body, &blen) == FRAME_NEED_MORE);
	CHECK(t, frame_reader_pending(&r) == 4);
	CHECK(t, frame_reader_append(&r, (const uint8_t *)"lo", 2) == 0);
	CHECK(t, frame_reader_next(&r, &body, &blen) == FRAME_OK);
	CHECK(t, blen == 5 && memcmp(body, "hello", 5) == 0);
	CHECK(t, frame_reader_pending(&r) == 0);
	CHECK(t, frame_reader_next(&r, &body, &blen) == FRAME_NEED_MORE);
	frame_reader_free(&r);
}

static void test_oversized_prefix(struct trun *t)
{
	uint8_t buf[FRAME_PREFIX_MAX];
	uint32_t len;
	size_t plen;
	size_t n = frame_encode_prefix(LIMIT + 1, buf);
	/* Refused from the prefix alone, before any body arrives. */
	CHECK(t, frame_decode_prefix(buf, n, LIMIT, &len, &plen) == FRAME_TOO_LARGE);
	n = frame_encode_prefix(LIMIT, buf);
	CHECK(t, frame_decode_prefix(buf, n, LIMIT, &len, &plen) == FRAME_OK && len == LIMIT);
	n = frame_encode_prefix(UINT32_MAX, buf);
	CHECK(t, frame_decode_prefix(buf, n, LIMIT, &len, &plen) == FRAME_TOO_LARGE);

	struct frame_reader r;
	frame_reader_init(&r, LIMIT);
	n = frame_encode_prefix(LIMIT + 1, buf);
	frame_reader_append(&r, buf, n);
	const uint8_t *body;
	size_t blen;
	CHECK(t, frame_reader_next(&r, &body, &blen) == FRAME_TOO_LARGE);
	frame_reader_free(&r);
}

static void test_malformed_varint(struct trun *t)
{
	uint32_t len;
	size_t plen;
	/* Continuation bit still set on the fifth byte. */
	uint8_t six[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	CHECK(t, frame_decode_prefix(six, sizeof six, UINT32_MAX, &len, &plen) == FRAME_MALFORMED);
	/* Five bytes whose value does not fit 32 bits. */
	uint8_t big[] = { 0xff, 0xff, 0xff, 0xff, 0x1f };
	CHECK(t, frame_decode_prefix(big, sizeof big, UINT32_MAX, &len, &plen) == FRAME_MALFORMED);
	uint8_t ok[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
	CHECK(t, frame_decode_prefix(ok, sizeof ok, UINT32_MAX, &len, &plen) == FRAME_OK &&
		 len == UINT32_MAX);
	/* Non-minimal but valid encodings are accepted, as protobuf does. */
	uint8_t padded[] = { 0x85, 0x00 };
	CHECK(t, frame_decode_prefix(padded, sizeof padded, LIMIT, &len, &plen) == FRAME_OK &&
		 len == 5 && plen == 2);
}

static void test_reader_many_frames_bytewise(struct trun *t)
{
	struct frame_reader r;
	frame_reader_init(&r, LIMIT);
	uint8_t stream[4 + 200 + 3];
	size_t off = 0;
	off += frame_encode_prefix(0, stream + off);
	off += frame_encode_prefix(200, stream + off);
	memset(stream + off, 'x', 200);
	off += 200;
	off += frame_encode_prefix(1, stream + off);
	stream[off++] = 'y';
	int got = 0;
	size_t sizes[3];
	for (size_t i = 0; i < off; i++) {
		frame_reader_append(&r, &stream[i], 1);
		const uint8_t *body;
		size_t blen;
		while (frame_reader_next(&r, &body, &blen) == FRAME_OK)
			if (got < 3)
				sizes[got++] = blen;
	}
	CHECK(t, got == 3);
	CHECK(t, got == 3 && sizes[0] == 0 && sizes[1] == 200 && sizes[2] == 1);
	frame_reader_free(&r);
}

static void test_write_fill_socket(struct trun *t)
{
	int sp[2];
	CHECK(t, socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	static uint8_t big[300000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)i;
	/* The writer would block on a full socket: write from a child. */
	pid_t pid = fork();
	if (pid == 0) {
		close(sp[0]);
		_exit(frame_write(sp[1], big, sizeof big) == 0 ? 0 : 1);
	}
	close(sp[1]);
	struct frame_reader r;
	frame_reader_init(&r, LIMIT);
	const uint8_t *body = NULL;
	size_t blen = 0;
	enum frame_status st;
	long n = 1;
	while ((st = frame_reader_next(&r, &body, &blen)) == FRAME_NEED_MORE && n > 0)
		n = frame_reader_fill(&r, sp[0], 0);
	CHECK(t, st == FRAME_OK && blen == sizeof big && memcmp(body, big, blen) == 0);
	CHECK(t, frame_reader_fill(&r, sp[0], 0) == 0); /* EOF */
	close(sp[0]);
	frame_reader_free(&r);
	int status;
	CHECK(t, waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	struct trun t = { 0 };
	RUN(&t, test_prefix_round_trip);
	RUN(&t, test_truncated_prefix);
	RUN(&t, test_truncated_body);
	RUN(&t, test_oversized_prefix);
	RUN(&t, test_malformed_varint);
	RUN(&t, test_reader_many_frames_bytewise);
	RUN(&t, test_write_fill_socket);
	return trun_finish(&t);
}
