/* libFuzzer target: everything the shim decodes from the sentry's socket (issue 9,
 * item 3). The input is split into chunks as a stream socket might deliver them; the
 * frame reader turns them into frames; every frame body goes through
 * wire_unpack_sentry() (what the guardian does) and wire_unpack_shim(). The prefix
 * decoder is also checked against the encoder. ASan/UBSan catch memory errors; the
 * asserts catch broken invariants.
 *
 *   make fuzz            build and run for FUZZ_SECONDS (default 10) over the corpus
 *   make fuzz-replay     run the kept regression inputs once each (part of make check)
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "wire.h"

static void check_prefix(const uint8_t *data, size_t size)
{
	uint32_t len = 0;
	size_t plen = 0;
	enum frame_status st = frame_decode_prefix(data, size, WIRE_MAX_FRAME_BYTES, &len, &plen);
	if (st == FRAME_OK) {
		assert(plen >= 1 && plen <= FRAME_PREFIX_MAX && plen <= size);
		assert(len <= WIRE_MAX_FRAME_BYTES);
		/* the canonical encoding decodes to the same length */
		uint8_t enc[FRAME_PREFIX_MAX];
		size_t elen = frame_encode_prefix(len, enc);
		uint32_t again = 0;
		size_t aplen = 0;
		assert(frame_decode_prefix(enc, elen, WIRE_MAX_FRAME_BYTES, &again, &aplen) == FRAME_OK);
		assert(again == len && aplen == elen);
	}
	(void)frame_status_str(st);
}

static void check_body(const uint8_t *body, size_t len)
{
	char why[256];
	SentryMessage *m = wire_unpack_sentry(body, len, why, sizeof why);
	if (m != NULL) {
		(void)wire_sentry_body_name(m);
		/* what the shim reads from each body must be there (wire.c's promise) */
		switch (m->body_case) {
		case NSENTRY__V1__SENTRY_MESSAGE__BODY_HELLO: assert(m->hello != NULL); break;
		case NSENTRY__V1__SENTRY_MESSAGE__BODY_LAUNCH:
			assert(m->launch != NULL);
			for (size_t i = 0; i < m->launch->n_argv; i++)
				assert(m->launch->argv[i] != NULL && strlen(m->launch->argv[i]) < len + 1);
			break;
		case NSENTRY__V1__SENTRY_MESSAGE__BODY_REWRITE_CLONE: assert(m->rewrite_clone != NULL); break;
		case NSENTRY__V1__SENTRY_MESSAGE__BODY_RELEASE: assert(m->release != NULL); break;
		case NSENTRY__V1__SENTRY_MESSAGE__BODY_KILL_TREE: assert(m->kill_tree != NULL); break;
		case NSENTRY__V1__SENTRY_MESSAGE__BODY_OWNER_VIEWS:
			assert(m->owner_views != NULL);
			for (size_t i = 0; i < m->owner_views->n_views; i++)
				assert(m->owner_views->views[i] != NULL);
			break;
		case NSENTRY__V1__SENTRY_MESSAGE__BODY_RUN_REPLY:
			assert(m->run_reply != NULL &&
			       m->run_reply->body_case != NSENTRY__V1__RUN_REPLY__BODY__NOT_SET);
			if (m->run_reply->body_case == NSENTRY__V1__RUN_REPLY__BODY_REFUSED)
				assert(m->run_reply->refused != NULL);
			break;
		default: assert(!"unpack accepted a message without a known body");
		}
		wire_free_sentry(m);
	} else {
		assert(why[0] != '\0');
	}
	ShimMessage *s = wire_unpack_shim(body, len, why, sizeof why);
	if (s != NULL) {
		uint8_t *packed = NULL;
		long plen = wire_pack_shim(s, &packed);
		assert(plen >= 0 || plen == -EMSGSIZE);
		free(packed);
		wire_free_shim(s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_prefix(data, size);
	if (size == 0)
		return 0;
	/* first byte: chunk size for the stream (1..256), and a small or the real limit */
	size_t chunk = (size_t)data[0] + 1;
	uint32_t limit = (data[0] & 1) ? WIRE_MAX_FRAME_BYTES : 64;
	data++;
	size--;

	struct frame_reader r;
	frame_reader_init(&r, limit);
	size_t off = 0;
	int dead = 0;
	while (off < size && !dead) {
		size_t n = size - off < chunk ? size - off : chunk;
		assert(frame_reader_append(&r, data + off, n) == 0);
		off += n;
		for (;;) {
			const uint8_t *body;
			size_t blen;
			enum frame_status st = frame_reader_next(&r, &body, &blen);
			if (st == FRAME_OK) {
				assert(blen <= limit);
				check_body(body, blen);
				continue;
			}
			if (st != FRAME_NEED_MORE)
				dead = 1; /* the guardian ends the session here */
			break;
		}
		assert(frame_reader_pending(&r) <= size);
	}
	frame_reader_free(&r);
	/* the whole input as one body too */
	check_body(data, size);
	return 0;
}
