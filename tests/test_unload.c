// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifetime: the module cannot go while a buffer or a mapping of one
 * exists, and unloads cleanly once they are gone.  Runs last: it unloads and
 * reloads the driver ($MMDMA_KO, with $MMDMA_PARAMS).
 */

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util.h"

static const char *ko_path(void)
{
	const char *ko = getenv("MMDMA_KO");

	if (!ko || access(ko, R_OK))
		t_absent("module", "MMDMA_KO does not name a readable mmdma.ko");
	return ko;
}

/* Unload, which must work now, and load again for whatever runs next. */
static void unload_and_reload(const char *ko)
{
	EXPECT_OK(mod_unload("mmdma"));
	ASSERT_OK(mod_load(ko, getenv("MMDMA_PARAMS")));
}

/* An open buffer fd pins the module. */
static void unload_refused_while_buffer_open(void)
{
	const char *ko = ko_path();
	int fd = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);

	EXPECT_ERR(mod_unload("mmdma"), EWOULDBLOCK);
	close(fd);
	unload_and_reload(ko);
}

/* A mapping pins the module after its fd is closed, for every method. */
static void unload_refused_while_mapped(void)
{
	const char *ko = ko_path();

	for (size_t i = 0; i < nr_combos; i++) {
		int fd = t_buf(4 * PAGE, combos[i].kind, combos[i].method);
		uint8_t *p = t_map(fd, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);

		close(fd);
		p[5] = 5;
		EXPECT_ERR(mod_unload("mmdma"), EWOULDBLOCK);
		EXPECT_EQ(p[5], 5);
		munmap(p, 4 * PAGE);
		unload_and_reload(ko);
	}
}

/* Loading and unloading with nothing open leaves the kernel log clean. */
static void load_unload_cycles_clean(void)
{
	const char *ko = ko_path();
	int kmsg = kmsg_open();

	for (int i = 0; i < 10; i++)
		unload_and_reload(ko);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(unload_refused_while_buffer_open),
	KTAP_CASE(unload_refused_while_mapped),
	/*
	 * Ten loads each probe edu (its factorial self-check) and the
	 * engines: about 49 s on the debug kernel alone, more under load.
	 */
	KTAP_CASE_T(load_unload_cycles_clean, 240),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
