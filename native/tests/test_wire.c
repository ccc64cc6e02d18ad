/* Protocol messages: pack/unpack round trips, validation of what the sentry
 * sends, and the dispatcher's refusals that need no I/O. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "ctx.h"
#include "frame.h"
#include "tharness.h"
#include "wire.h"

/* Pack a SentryMessage the way the sentry would. */
static size_t pack_sentry(const SentryMessage *m, uint8_t **out)
{
	size_t len = nsentry__v1__sentry_message__get_packed_size(m);
	*out = malloc(len ? len : 1);
	nsentry__v1__sentry_message__pack(m, *out);
	return len;
}

static void test_shim_hello_round_trip(struct trun *t)
{
	char *features[] = { "a", "b" };
	Nsentry__V1__Hello h = NSENTRY__V1__HELLO__INIT;
	h.protocol_version = WIRE_PROTOCOL_VERSION;
	h.software = "nsentry-shim test";
	h.kernel_release = "6.18";
	h.n_features = 2;
	h.features = features;
	ShimMessage m = NSENTRY__V1__SHIM_MESSAGE__INIT;
	m.body_case = NSENTRY__V1__SHIM_MESSAGE__BODY_HELLO;
	m.hello = &h;
	uint8_t *buf;
	long len = wire_pack_shim(&m, &buf);
	CHECK(t, len > 0);
	if (len <= 0)
		return;
	/* Through the frame reader, as the sentry's decoder sees it. */
	struct frame_reader r;
	frame_reader_init(&r, WIRE_MAX_FRAME_BYTES);
	uint8_t prefix[FRAME_PREFIX_MAX];
	size_t plen = frame_encode_prefix((uint32_t)len, prefix);
	frame_reader_append(&r, prefix, plen);
	frame_reader_append(&r, buf, (size_t)len);
	const uint8_t *body;
	size_t blen;
	CHECK(t, frame_reader_next(&r, &body, &blen) == FRAME_OK && blen == (size_t)len);
	char why[128];
	ShimMessage *back = wire_unpack_shim(body, blen, why, sizeof why);
	CHECK(t, back != NULL);
	if (back != NULL) {
		CHECK(t, back->body_case == NSENTRY__V1__SHIM_MESSAGE__BODY_HELLO);
		CHECK(t, back->hello->protocol_version == 1);
		CHECK(t, strcmp(back->hello->software, "nsentry-shim test") == 0);
		CHECK(t, back->hello->n_features == 2 && strcmp(back->hello->features[1], "b") == 0);
	}
	wire_free_shim(back);
	free(buf);
	frame_reader_free(&r);
}

static void test_sentry_messages_round_trip(struct trun *t)
{
	Nsentry__V1__RewriteClone rc = NSENTRY__V1__REWRITE_CLONE__INIT;
	rc.notification_id = 0xfedcba9876543210ULL;
	rc.tid = 4242;
	rc.syscall_nr = 56;
	rc.instruction_pointer = 0x7f0000001234ULL;
	rc.strip_flags = 0x10020000ULL;
	SentryMessage m = NSENTRY__V1__SENTRY_MESSAGE__INIT;
	m.body_case = NSENTRY__V1__SENTRY_MESSAGE__BODY_REWRITE_CLONE;
	m.rewrite_clone = &rc;
	uint8_t *buf;
	size_t len = pack_sentry(&m, &buf);
	char why[128];
	SentryMessage *back = wire_unpack_sentry(buf, len, why, sizeof why);
	CHECKF(t, back != NULL, "%s", why);
	if (back != NULL) {
		CHECK(t, back->body_case == NSENTRY__V1__SENTRY_MESSAGE__BODY_REWRITE_CLONE);
		CHECK(t, back->rewrite_clone->notification_id == rc.notification_id);
		CHECK(t, back->rewrite_clone->tid == 4242 && back->rewrite_clone->syscall_nr == 56);
		CHECK(t, back->rewrite_clone->instruction_pointer == rc.instruction_pointer);
		CHECK(t, back->rewrite_clone->strip_flags == rc.strip_flags);
		CHECK(t, strcmp(wire_sentry_body_name(back), "RewriteClone") == 0);
	}
	wire_free_sentry(back);
	free(buf);

	char *argv[] = { "/bin/true", "x" };
	Nsentry__V1__LaunchConfig lc = NSENTRY__V1__LAUNCH_CONFIG__INIT;
	lc.n_argv = 2;
	lc.argv = argv;
	m.body_case = NSENTRY__V1__SENTRY_MESSAGE__BODY_LAUNCH;
	m.launch = &lc;
	len = pack_sentry(&m, &buf);
	back = wire_unpack_sentry(buf, len, why, sizeof why);
	CHECKF(t, back != NULL, "%s", why);
	if (back != NULL)
		CHECK(t, back->launch->n_argv == 2 && strcmp(back->launch->argv[0], "/bin/true") == 0);
	wire_free_sentry(back);

	/* Truncated by one byte: refused. */
	back = wire_unpack_sentry(buf, len - 1, why, sizeof why);
	CHECK(t, back == NULL);
	wire_free_sentry(back);
	free(buf);
}

static void test_empty_oneof(struct trun *t)
{
	char why[128] = "";
	/* Zero bytes decode to a message with no body. */
	SentryMessage *m = wire_unpack_sentry((const uint8_t *)"", 0, why, sizeof why);
	CHECK(t, m == NULL);
	CHECKF(t, strstr(why, "no known body") != NULL, "why=%s", why);
}

static void test_unknown_oneof(struct trun *t)
{
	/* Field 15, length-delimited, 2 bytes: a body this shim does not know
	 * (a newer sentry). protobuf keeps it as an unknown field. */
	uint8_t bytes[] = { (15 << 3) | 2, 2, 0x08, 0x01 };
	char why[128] = "";
	SentryMessage *m = wire_unpack_sentry(bytes, sizeof bytes, why, sizeof why);
	CHECK(t, m == NULL);
	CHECKF(t, strstr(why, "no known body") != NULL, "why=%s", why);
}

static void test_run_reply(struct trun *t)
{
	char why[128] = "";
	Nsentry__V1__RunReply r = NSENTRY__V1__RUN_REPLY__INIT;
	SentryMessage m = NSENTRY__V1__SENTRY_MESSAGE__INIT;
	m.body_case = NSENTRY__V1__SENTRY_MESSAGE__BODY_RUN_REPLY;
	m.run_reply = &r;
	/* No answer in it. */
	uint8_t *buf;
	size_t len = pack_sentry(&m, &buf);
	CHECK(t, wire_unpack_sentry(buf, len, why, sizeof why) == NULL);
	CHECKF(t, strstr(why, "RunReply with no known answer") != NULL, "why=%s", why);
	free(buf);
	/* A refusal, with its reason. */
	r.body_case = NSENTRY__V1__RUN_REPLY__BODY_REFUSED;
	r.refused = "too many sandboxes";
	len = pack_sentry(&m, &buf);
	SentryMessage *back = wire_unpack_sentry(buf, len, why, sizeof why);
	CHECKF(t, back != NULL, "%s", why);
	if (back != NULL) {
		CHECK(t, strcmp(wire_sentry_body_name(back), "RunReply") == 0);
		CHECK(t, back->run_reply->body_case == NSENTRY__V1__RUN_REPLY__BODY_REFUSED &&
			 strcmp(back->run_reply->refused, "too many sandboxes") == 0);
	}
	wire_free_sentry(back);
	free(buf);
	/* Never on the control socket. */
	struct shim_ctx ctx;
	ctx_init(&ctx);
	ctx.phase = PHASE_RUNNING;
	r.body_case = NSENTRY__V1__RUN_REPLY__BODY_EXIT_CODE;
	r.exit_code = 0;
	CHECK(t, control_dispatch(&ctx, &m, why, sizeof why) < 0);
	CHECKF(t, strstr(why, "unexpected RunReply") != NULL, "why=%s", why);
	ctx_free(&ctx);
}

static void test_malformed_message(struct trun *t)
{
	char why[128] = "";
	uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	CHECK(t, wire_unpack_sentry(garbage, sizeof garbage, why, sizeof why) == NULL);
	CHECKF(t, strstr(why, "malformed") != NULL, "why=%s", why);
	/* A length-delimited field running past the end. */
	uint8_t overrun[] = { (2 << 3) | 2, 50, 0x0a, 0x01, 'x' };
	CHECK(t, wire_unpack_sentry(overrun, sizeof overrun, why, sizeof why) == NULL);
	/* Wrong wire type for a known field (varint where a message belongs). */
	uint8_t wiretype[] = { (2 << 3) | 0, 1 };
	CHECK(t, wire_unpack_sentry(wiretype, sizeof wiretype, why, sizeof why) == NULL);
}

static void test_oversized_message(struct trun *t)
{
	char why[128] = "";
	size_t len = (size_t)WIRE_MAX_FRAME_BYTES + 1;
	uint8_t *buf = calloc(1, len);
	CHECK(t, wire_unpack_sentry(buf, len, why, sizeof why) == NULL);
	CHECKF(t, strstr(why, "exceeds") != NULL, "why=%s", why);
	free(buf);
}

static SentryMessage *hello_with_version(Nsentry__V1__Hello *h, SentryMessage *m, uint32_t v)
{
	nsentry__v1__hello__init(h);
	h->protocol_version = v;
	nsentry__v1__sentry_message__init(m);
	m->body_case = NSENTRY__V1__SENTRY_MESSAGE__BODY_HELLO;
	m->hello = h;
	return m;
}

static void test_dispatch_refusals(struct trun *t)
{
	struct shim_ctx ctx;
	ctx_init(&ctx);
	char why[256] = "";
	Nsentry__V1__Hello h;
	SentryMessage m;

	/* Anything before Hello. */
	Nsentry__V1__KillTree kt = NSENTRY__V1__KILL_TREE__INIT;
	SentryMessage km = NSENTRY__V1__SENTRY_MESSAGE__INIT;
	km.body_case = NSENTRY__V1__SENTRY_MESSAGE__BODY_KILL_TREE;
	km.kill_tree = &kt;
	CHECK(t, control_dispatch(&ctx, &km, why, sizeof why) < 0);
	CHECKF(t, strstr(why, "expected Hello") != NULL, "why=%s", why);

	/* Another protocol version. */
	CHECK(t, control_dispatch(&ctx, hello_with_version(&h, &m, 2), why, sizeof why) < 0);
	CHECKF(t, strstr(why, "version 2") != NULL, "why=%s", why);

	/* Version 1, then a second Hello. */
	CHECK(t, control_dispatch(&ctx, hello_with_version(&h, &m, 1), why, sizeof why) == 0);
	CHECK(t, ctx.phase == PHASE_LAUNCH);
	CHECK(t, control_dispatch(&ctx, hello_with_version(&h, &m, 1), why, sizeof why) < 0);

	/* A rewrite before the workload exists. */
	Nsentry__V1__RewriteClone rc = NSENTRY__V1__REWRITE_CLONE__INIT;
	SentryMessage rm = NSENTRY__V1__SENTRY_MESSAGE__INIT;
	rm.body_case = NSENTRY__V1__SENTRY_MESSAGE__BODY_REWRITE_CLONE;
	rm.rewrite_clone = &rc;
	CHECK(t, control_dispatch(&ctx, &rm, why, sizeof why) < 0);

	/* A launch without a command. */
	Nsentry__V1__LaunchConfig lc = NSENTRY__V1__LAUNCH_CONFIG__INIT;
	SentryMessage lm = NSENTRY__V1__SENTRY_MESSAGE__INIT;
	lm.body_case = NSENTRY__V1__SENTRY_MESSAGE__BODY_LAUNCH;
	lm.launch = &lc;
	CHECK(t, control_dispatch(&ctx, &lm, why, sizeof why) < 0);

	/* Releasing what is not held. */
	ctx.phase = PHASE_RUNNING;
	Nsentry__V1__ReleaseTask rt = NSENTRY__V1__RELEASE_TASK__INIT;
	rt.notification_id = 7;
	rt.tid = 1234;
	rt.child_tid = 1235;
	SentryMessage rtm = NSENTRY__V1__SENTRY_MESSAGE__INIT;
	rtm.body_case = NSENTRY__V1__SENTRY_MESSAGE__BODY_RELEASE;
	rtm.release = &rt;
	CHECK(t, control_dispatch(&ctx, &rtm, why, sizeof why) < 0);
	CHECKF(t, strstr(why, "not held") != NULL, "why=%s", why);

	/* KillTree ends the session with 125. */
	kt.reason = "policy says no";
	CHECK(t, control_dispatch(&ctx, &km, why, sizeof why) == 0);
	CHECK(t, ctx.done && ctx.exit_code == 125 && strcmp(ctx.farewell, "policy says no") == 0);
	ctx_free(&ctx);
}

static void test_held_list(struct trun *t)
{
	struct shim_ctx ctx;
	ctx_init(&ctx);
	for (int i = 0; i < 20; i++) {
		struct held_task h = { .notification_id = (uint64_t)i, .tid = 100 + i, .child_tid = 200 + i };
		CHECK(t, ctx_hold(&ctx, &h) == 0);
	}
	struct held_task h = { .notification_id = 5, .tid = 105, .child_tid = 205 };
	CHECK(t, ctx_unhold(&ctx, &h) == 0);
	CHECK(t, ctx_unhold(&ctx, &h) == -ENOENT);
	h.child_tid = 999;
	h.notification_id = 6;
	h.tid = 106;
	CHECK(t, ctx_unhold(&ctx, &h) == -ENOENT);
	CHECK(t, ctx.n_held == 19);
	ctx_free(&ctx);
}

int main(void)
{
	struct trun t = { 0 };
	RUN(&t, test_shim_hello_round_trip);
	RUN(&t, test_sentry_messages_round_trip);
	RUN(&t, test_empty_oneof);
	RUN(&t, test_unknown_oneof);
	RUN(&t, test_run_reply);
	RUN(&t, test_malformed_message);
	RUN(&t, test_oversized_message);
	RUN(&t, test_dispatch_refusals);
	RUN(&t, test_held_list);
	return trun_finish(&t);
}
