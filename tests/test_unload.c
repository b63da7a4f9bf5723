// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifetime: the core cannot go while a buffer or a mapping of one
 * exists, and unloads cleanly once they are gone.  Runs last: it unloads and
 * reloads the driver (the core $MMDMA_KO and the providers next to it,
 * with $MMDMA_PARAMS).  The providers' own lifetime: tests/test_providers.c.
 */

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util.h"

static const char *ko_path(void)
{
	return t_core_ko();
}

/*
 * Unload (providers, then the core), which must work now, and load again
 * for whatever runs next.
 */
static void unload_and_reload(const char *ko)
{
	(void)ko;
	EXPECT_OK(t_driver_unload());
	ASSERT_OK(t_driver_load());
}

/* An open buffer fd pins the core (the providers gone, so only it can). */
static void unload_refused_while_buffer_open(void)
{
	const char *ko = ko_path();
	int fd = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);

	ASSERT_OK(t_providers_unload());
	EXPECT_ERR(mod_unload("mmdma"), EWOULDBLOCK);
	close(fd);
	unload_and_reload(ko);
}

/* A mapping pins the core after its fd is closed, for every method. */
static void unload_refused_while_mapped(void)
{
	const char *ko = ko_path();

	for (size_t i = 0; i < nr_combos; i++) {
		int fd = t_buf(4 * PAGE, combos[i].kind, combos[i].method);
		uint8_t *p = t_map(fd, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);

		close(fd);
		p[5] = 5;
		ASSERT_OK(t_providers_unload());
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
