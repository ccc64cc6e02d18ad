/* Protocol messages on the control socket: ShimMessage out, SentryMessage in.
 * Framing is frame.h; this file packs, unpacks and validates. */
#ifndef NSENTRY_WIRE_H
#define NSENTRY_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "nsentry.pb-c.h"

typedef Nsentry__V1__ShimMessage ShimMessage;
typedef Nsentry__V1__SentryMessage SentryMessage;

#define WIRE_PROTOCOL_VERSION ((uint32_t)NSENTRY__V1__LIMITS__PROTOCOL_VERSION)
#define WIRE_MAX_FRAME_BYTES ((uint32_t)NSENTRY__V1__LIMITS__MAX_FRAME_BYTES)

/* Serialize msg into a freshly allocated buffer (caller frees). Returns the
 * length, or -errno (-EMSGSIZE above the frame limit). */
long wire_pack_shim(const ShimMessage *msg, uint8_t **out);

/* Pack and write one frame. Returns 0 or -errno. */
int wire_send_shim(int fd, const ShimMessage *msg);

/* Unpack and validate one SentryMessage body. On failure returns NULL and
 * writes a reason into why. Valid means: parses, exactly one known body field
 * set, and the body's own required fields present. Free with
 * wire_free_sentry. */
SentryMessage *wire_unpack_sentry(const uint8_t *body, size_t len, char *why, size_t why_len);
void wire_free_sentry(SentryMessage *m);

/* Same for ShimMessage (used by tests and tools playing the sentry). */
ShimMessage *wire_unpack_shim(const uint8_t *body, size_t len, char *why, size_t why_len);
void wire_free_shim(ShimMessage *m);

/* Human-readable name of a SentryMessage body case. */
const char *wire_sentry_body_name(const SentryMessage *m);

#endif
