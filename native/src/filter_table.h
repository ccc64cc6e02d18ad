/* The list of intercepted system calls (x86_64). One table, in
 * filter_table.c; filter.c turns it into a seccomp program. */
#ifndef NSENTRY_FILTER_TABLE_H
#define NSENTRY_FILTER_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* When an entry's syscall is sent to the sentry. Several entries for the same
 * syscall are alternatives (the call is notified if any of them matches). */
enum filter_cond {
	COND_ALWAYS,        /* every call */
	COND_ANY_BIT,       /* arg & mask != 0 (one rule per bit of mask) */
	COND_ONE_OF,        /* (u32)arg is one of values[] */
	COND_MASKED_EQ,     /* (arg & mask) == value */
	COND_FD_IN_BAND,    /* (u32)arg is in [band_base, band_base + band_size) */
};

/* Which base filter an entry belongs to (0: both). */
enum filter_variant {
	VARIANT_OWNER_TRACER = 1,   /* default: nested tasks carry the owner filter (owners.h) */
	VARIANT_DEBUGGABLE = 2,     /* --debuggable: every stat form goes to the sentry */
};

struct filter_entry {
	const char *name;        /* libseccomp / kernel name */
	unsigned variants;       /* enum filter_variant bits; 0 for every variant */
	enum filter_cond cond;
	unsigned arg;            /* argument index for every cond but ALWAYS */
	uint64_t mask;           /* COND_ANY_BIT, COND_MASKED_EQ */
	uint64_t value;          /* COND_MASKED_EQ */
	const uint32_t *values;  /* COND_ONE_OF */
	size_t nvalues;
};

extern const struct filter_entry filter_table[];
extern const size_t filter_table_len;

/* Distinct syscall names of the table in table order; returns how many were
 * written (at most max). */
size_t filter_table_names(enum filter_variant variant, const char **names, size_t max);

/* Whether entry e is part of the variant's filter. */
int filter_entry_in(const struct filter_entry *e, enum filter_variant variant);

#endif
