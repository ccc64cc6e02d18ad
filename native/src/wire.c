#include "wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "frame.h"

long wire_pack_shim(const ShimMessage *msg, uint8_t **out)
{
	size_t len = nsentry__v1__shim_message__get_packed_size(msg);
	if (len > WIRE_MAX_FRAME_BYTES)
		return -EMSGSIZE;
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		return -ENOMEM;
	size_t packed = nsentry__v1__shim_message__pack(msg, buf);
	if (packed != len) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	return (long)len;
}

int wire_send_shim(int fd, const ShimMessage *msg)
{
	uint8_t *buf;
	long len = wire_pack_shim(msg, &buf);
	if (len < 0)
		return (int)len;
	int rc = frame_write(fd, buf, (size_t)len);
	free(buf);
	return rc;
}

const char *wire_sentry_body_name(const SentryMessage *m)
{
	switch (m->body_case) {
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_HELLO: return "Hello";
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_LAUNCH: return "LaunchConfig";
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_REWRITE_CLONE: return "RewriteClone";
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_RELEASE: return "ReleaseTask";
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_KILL_TREE: return "KillTree";
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_OWNER_VIEWS: return "OwnerViews";
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_RUN_REPLY: return "RunReply";
	case NSENTRY__V1__SENTRY_MESSAGE__BODY__NOT_SET: break;
	default: break;
	}
	return "empty message";
}

/* Every body case the shim understands must carry its sub-message (a RunReply
 * also one of its answers). */
static int sentry_body_present(const SentryMessage *m)
{
	switch (m->body_case) {
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_HELLO: return m->hello != NULL;
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_LAUNCH: return m->launch != NULL;
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_REWRITE_CLONE: return m->rewrite_clone != NULL;
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_RELEASE: return m->release != NULL;
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_KILL_TREE: return m->kill_tree != NULL;
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_OWNER_VIEWS: return m->owner_views != NULL;
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_RUN_REPLY:
		return m->run_reply != NULL &&
		       m->run_reply->body_case != NSENTRY__V1__RUN_REPLY__BODY__NOT_SET;
	default: return 0;
	}
}

SentryMessage *wire_unpack_sentry(const uint8_t *body, size_t len, char *why, size_t why_len)
{
	if (len > WIRE_MAX_FRAME_BYTES) {
		snprintf(why, why_len, "frame of %zu bytes exceeds the limit of %u", len,
			 WIRE_MAX_FRAME_BYTES);
		return NULL;
	}
	SentryMessage *m = nsentry__v1__sentry_message__unpack(NULL, len, body);
	if (m == NULL) {
		snprintf(why, why_len, "malformed SentryMessage (%zu bytes)", len);
		return NULL;
	}
	if (m->body_case == NSENTRY__V1__SENTRY_MESSAGE__BODY__NOT_SET) {
		snprintf(why, why_len, "SentryMessage with no known body (%zu bytes)", len);
		wire_free_sentry(m);
		return NULL;
	}
	if (!sentry_body_present(m)) {
		if (m->body_case == NSENTRY__V1__SENTRY_MESSAGE__BODY_RUN_REPLY)
			snprintf(why, why_len, "RunReply with no known answer (%zu bytes)", len);
		else
			snprintf(why, why_len, "SentryMessage with unknown body case %d",
				 (int)m->body_case);
		wire_free_sentry(m);
		return NULL;
	}
	return m;
}

void wire_free_sentry(SentryMessage *m)
{
	if (m != NULL)
		nsentry__v1__sentry_message__free_unpacked(m, NULL);
}

ShimMessage *wire_unpack_shim(const uint8_t *body, size_t len, char *why, size_t why_len)
{
	if (len > WIRE_MAX_FRAME_BYTES) {
		snprintf(why, why_len, "frame of %zu bytes exceeds the limit of %u", len,
			 WIRE_MAX_FRAME_BYTES);
		return NULL;
	}
	ShimMessage *m = nsentry__v1__shim_message__unpack(NULL, len, body);
	if (m == NULL) {
		snprintf(why, why_len, "malformed ShimMessage (%zu bytes)", len);
		return NULL;
	}
	if (m->body_case == NSENTRY__V1__SHIM_MESSAGE__BODY__NOT_SET) {
		snprintf(why, why_len, "ShimMessage with no known body (%zu bytes)", len);
		wire_free_shim(m);
		return NULL;
	}
	return m;
}

void wire_free_shim(ShimMessage *m)
{
	if (m != NULL)
		nsentry__v1__shim_message__free_unpacked(m, NULL);
}
