// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of libmmdma's pure helpers (no driver needed).  Built with
 * AddressSanitizer and UBSan by `make host-check`.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/libmmdma.h"

static int failures, checks;

#define CHECK(c)							\
	do {								\
		checks++;						\
		if (!(c)) {						\
			failures++;					\
			printf("not ok: %s:%d: %s\n", __FILE__, __LINE__, #c); \
		}							\
	} while (0)

static void parse_size_accepts_suffixes_and_hex(void)
{
	uint64_t v = 0;

	CHECK(mmdma_parse_size("4096", &v) == 0 && v == 4096);
	CHECK(mmdma_parse_size("4k", &v) == 0 && v == 4096);
	CHECK(mmdma_parse_size("2M", &v) == 0 && v == 2 << 20);
	CHECK(mmdma_parse_size("1G", &v) == 0 && v == 1 << 30);
	CHECK(mmdma_parse_size("0x40000", &v) == 0 && v == 0x40000);
	CHECK(mmdma_parse_size("0", &v) == 0 && v == 0);
}

static void parse_size_rejects_junk_and_overflow(void)
{
	uint64_t v = 77;

	CHECK(mmdma_parse_size("", &v) == -EINVAL);
	CHECK(mmdma_parse_size("-1", &v) == -EINVAL);
	CHECK(mmdma_parse_size("12q", &v) == -EINVAL);
	CHECK(mmdma_parse_size("4kk", &v) == -EINVAL);
	CHECK(mmdma_parse_size("k", &v) == -EINVAL);
	CHECK(mmdma_parse_size("99999999999999999999", &v) == -ERANGE);
	CHECK(mmdma_parse_size("17179869184G", &v) == -ERANGE);
	CHECK(v == 77);
}

static void names_round_trip(void)
{
	for (uint32_t k = MMDMA_MEM_PAGES; k <= MMDMA_MEM_RESERVED; k++)
		CHECK(mmdma_kind_parse(mmdma_kind_name(k)) == k);
	for (uint32_t m = MMDMA_MAP_REMAP; m <= MMDMA_MAP_HUGE; m++)
		CHECK(mmdma_method_parse(mmdma_method_name(m)) == m);
	CHECK(strcmp(mmdma_cache_name(MMDMA_CACHE_WC), "wc") == 0);
	CHECK(strcmp(mmdma_cache_name(MMDMA_CACHE_UC), "uc") == 0);
	CHECK(strcmp(mmdma_cache_name(4), "unknown") == 0);
	CHECK(mmdma_kind_parse("nonsense") == 0);
	CHECK(strcmp(mmdma_kind_name(0), "unknown") == 0);
}

static void pattern_depends_on_page_and_seed(void)
{
	unsigned char a[8192], b[8192];

	mmdma_pattern_fill(a, 0, sizeof(a), 5);
	CHECK(mmdma_pattern_check(a, 0, sizeof(a), 5) == sizeof(a));
	CHECK(mmdma_pattern_check(a, 0, sizeof(a), 6) < sizeof(a));
	/* The second page differs from the first: a misplaced page shows. */
	CHECK(memcmp(a, a + 4096, 4096) != 0);
	/* A window checks against its own offset. */
	mmdma_pattern_fill(b, 4096 + 17, 100, 5);
	CHECK(memcmp(b, a + 4096 + 17, 100) == 0);
	a[1000] ^= 1;
	CHECK(mmdma_pattern_check(a, 0, sizeof(a), 5) == 1000);
}

/* The library's release is the tree's VERSION, three dot-separated numbers. */
static void version_is_the_trees(void)
{
	unsigned int a, b, c;
	char end;

	CHECK(strcmp(mmdma_version(), MMDMA_VERSION) == 0);
	CHECK(sscanf(mmdma_version(), "%u.%u.%u%c", &a, &b, &c, &end) == 3);
}

int main(void)
{
	version_is_the_trees();
	parse_size_accepts_suffixes_and_hex();
	parse_size_rejects_junk_and_overflow();
	names_round_trip();
	pattern_depends_on_page_and_seed();
	printf("test_lib: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
