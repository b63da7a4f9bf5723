// SPDX-License-Identifier: GPL-2.0
/*
 * Built by tests/host/test_install.sh against an installed libmmdma, only
 * through pkg-config (shared, then static): the header, the uapi header it
 * includes and the library must all be where the .pc file says.  Needs no
 * device: it checks what the library answers without one.
 *   install_prog VERSION
 */
#define _POSIX_C_SOURCE 200809L	/* setenv() under -std=c11 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmmdma.h>
#include <linux/mmdma.h>

static int fails;

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok" : "not ok", what);
	fails += !ok;
}

int main(int argc, char **argv)
{
	uint64_t size = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: install_prog VERSION\n");
		return 2;
	}
	check(!strcmp(mmdma_version(), argv[1]), "mmdma_version() is the tree's VERSION");
	check(MMDMA_ABI_VERSION == 3, "the installed uapi header is ABI 3");
	check(sizeof(struct mmdma_info) == MMDMA_INFO_SIZE_VER1 + 32,
	      "struct mmdma_info has driver_version appended");
	check(mmdma_parse_size("4k", &size) == 0 && size == 4096, "mmdma_parse_size(\"4k\") is 4096");
	check(mmdma_parse_size("-1", &size) < 0, "mmdma_parse_size(\"-1\") fails");
	setenv("MMDMA_DEV", "/nonexistent/mmdma", 1);
	check(mmdma_open() == -ENOENT, "mmdma_open() of a missing node is -ENOENT");
	return fails ? 1 : 0;
}
