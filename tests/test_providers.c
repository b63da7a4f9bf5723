// SPDX-License-Identifier: GPL-2.0
/*
 * The core and its provider modules (docs/provider-api.md): load order,
 * module references, and a provider unloaded while the core, its buffers
 * and fds made for the provider's device are in use.  Uses the software
 * engine's module (every profile has it); unloads and reloads the driver
 * ($MMDMA_KO and the providers next to it, $MMDMA_PROVIDERS, with
 * $MMDMA_PARAMS) and leaves it loaded as the profile wants it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devutil.h"
#include "util.h"

#define SOFT_MOD	"mmdma_soft"

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The profile must list the software engine's module among the providers. */
static void need_soft_provider(void)
{
	char names[8][32];
	int n = t_providers(names, 8);

	t_core_ko();
	for (int i = 0; i < n; i++) {
		if (!strcmp(names[i], SOFT_MOD))
			return;
	}
	t_absent("soft", "MMDMA_PROVIDERS does not name " SOFT_MOD);
}

/*
 * A provider loaded before the core: refused with ENOENT (its symbols in
 * the MMDMA namespace are unknown), said in the log, nothing half-loaded.
 */
static void provider_before_core_fails_enoent(void)
{
	char names[8][32], path[256], sys[300], want[300];
	int n = t_providers(names, 8);

	need_soft_provider();
	ASSERT_OK(t_driver_unload());
	for (int i = 0; i < n; i++) {
		int kmsg = kmsg_open();

		t_mod_path(names[i], path, sizeof(path));
		EXPECT_ERR(mod_load(path, NULL), ENOENT);
		snprintf(sys, sizeof(sys), "/sys/module/%s", names[i]);
		EXPECT(!exists(sys));
		snprintf(want, sizeof(want), "%s: Unknown symbol", names[i]);
		if (!kmsg_saw(kmsg, want))
			ktap_fail(false, __FILE__, __LINE__, "no log line '%s'", want);
		close(kmsg);
	}
	ASSERT_OK(t_driver_load());
}

/*
 * While a provider is loaded the core is in use: its unload is refused
 * (EWOULDBLOCK, rmmod's "in use") and sysfs names the holder.
 */
static void core_unload_refused_while_provider_loaded(void)
{
	need_soft_provider();
	EXPECT(exists("/sys/module/" SOFT_MOD));
	EXPECT(exists("/sys/module/mmdma/holders/" SOFT_MOD));
	EXPECT_ERR(mod_unload("mmdma"), EWOULDBLOCK);
	EXPECT(exists("/dev/mmdma"));
	EXPECT(exists("/dev/" T_SOFT));
}

/*
 * The core alone serves buffers and has no DMA device node; providers then
 * load in any order (here the reverse of the profile's) and each brings
 * its node.
 */
static void core_alone_then_providers_in_any_order(void)
{
	char names[8][32];
	int n = t_providers(names, 8);
	struct mmdma_info info;
	int fd;

	need_soft_provider();
	ASSERT_OK(t_driver_unload());
	ASSERT_OK(t_mod_load_default("mmdma"));
	EXPECT(exists("/dev/mmdma"));
	EXPECT(!exists("/sys/class/misc/" T_SOFT));
	EXPECT(!exists("/sys/class/misc/" T_EDU));
	info = t_ctl_info();
	/* Coherent memory needs a device: none registered. */
	EXPECT_EQ(info.features & MMDMA_FEAT_MEM_COHERENT, 0);
	fd = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	EXPECT_OK(mmdma_buf_fill(fd, 0, PAGE, 7));
	for (int i = n - 1; i >= 0; i--)
		EXPECT_OK(t_mod_load_default(names[i]));
	EXPECT(exists("/sys/class/misc/" T_SOFT));
	if (t_promised("edu"))
		EXPECT(exists("/sys/class/misc/" T_EDU));
	EXPECT(t_ctl_info().features & MMDMA_FEAT_MEM_COHERENT);
	close(fd);
}

/*
 * The software engine's module goes while the core, a buffer attached to
 * its device, a mapped page buffer, a mapped coherent buffer of its device
 * and an open fd of its node are all in use: the unload succeeds (nothing
 * of the provider's is pinned by them), the node goes, the open fd gets
 * ENODEV, the coherent memory is revoked (ENODEV, SIGBUS through the
 * mapping), the page buffer keeps its bytes, no buffer is lost, and the
 * log stays clean.  Loaded again, the device works.
 */
static void provider_unload_while_core_and_buffers_in_use(void)
{
	struct mmdma_dev_info di;
	uint32_t bufs;
	uint64_t v;
	uint8_t *p, *c;
	int kmsg, ctl, dev, buf, coh;
	char byte;

	need_soft_provider();
	kmsg = kmsg_open();
	ctl = t_ctl();
	dev = t_dev_or_skip(T_SOFT);
	buf = t_buf(4 * PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	p = t_map(buf, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_OK(mmdma_buf_fill(buf, 0, 4 * PAGE, 11));
	ASSERT(mmdma_buf_attach(buf, dev, MMDMA_DIR_BIDIRECTIONAL) >= 1);
	coh = mmdma_alloc_dev(ctl, PAGE, MMDMA_MEM_COHERENT, MMDMA_MAP_REMAP, 0, dev);
	ASSERT_OK(coh);
	c = t_map(coh, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	c[0] = 0x5a;
	/* A transfer through the attachment, so the device has used it. */
	EXPECT_OK(t_xfer_dma(dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_AUTO, MMDMA_XFER_ATTACHED,
			     buf, 0, -1, 0, 0, PAGE, NULL));
	bufs = t_nr_buffers();

	EXPECT_OK(mod_unload(SOFT_MOD));
	EXPECT(!exists("/sys/module/" SOFT_MOD));
	EXPECT(!exists("/sys/class/misc/" T_SOFT));
	EXPECT(exists("/sys/module/mmdma"));
	/* The open node: every call ENODEV. */
	EXPECT_ERR(mmdma_dev_info(dev, &di), ENODEV);
	EXPECT_SYSERR(read(dev, &byte, 1), ENODEV);
	/* Coherent memory made for it: revoked. */
	EXPECT_SYSERR(read(coh, &byte, 1), ENODEV);
	EXPECT(t_read_sigbus(c, 1, &v));
	/* The page buffer: alive, its bytes unchanged, still usable. */
	t_expect_pattern(p, 0, 4 * PAGE, 11);
	p[1] = 0x33;
	EXPECT_EQ(p[1], 0x33);
	EXPECT_EQ(t_nr_buffers(), bufs);
	/* The attachment stays, unmapped: every use but detach says ENODEV. */
	EXPECT_ERR(mmdma_buf_sync(buf, dev, 0, PAGE, MMDMA_DIR_TO_DEVICE,
				  MMDMA_SYNC_FOR_DEVICE), ENODEV);
	EXPECT_OK(mmdma_buf_detach(buf, dev));
	EXPECT_ERR(mmdma_buf_detach(buf, dev), ENOENT);
	munmap(c, PAGE);
	close(coh);
	close(dev);
	munmap(p, 4 * PAGE);
	close(buf);
	EXPECT_EQ(t_nr_buffers(), bufs - 2);

	/* Back again: the node returns under the same name and moves data. */
	ASSERT_OK(t_mod_load_default(SOFT_MOD));
	dev = t_dev_or_skip(T_SOFT);
	buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	ASSERT_OK(mmdma_buf_fill(buf, 0, PAGE, 12));
	EXPECT_OK(t_xfer_dma(dev, MMDMA_XFER_TO_DEV, MMDMA_DMA_AUTO, 0, buf, 0,
			     -1, 0, 0, PAGE, NULL));
	close(buf);
	close(dev);
	close(ctl);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(kmsg);
}

/* Unloaded and loaded again and again under a live buffer: clean each time. */
static void provider_reload_cycles_clean(void)
{
	int kmsg, buf;

	need_soft_provider();
	kmsg = kmsg_open();
	buf = t_buf(PAGE, MMDMA_MEM_PAGES, MMDMA_MAP_FAULT);
	for (int i = 0; i < 5; i++) {
		ASSERT_OK(mod_unload(SOFT_MOD));
		EXPECT(!exists("/sys/class/misc/" T_SOFT));
		ASSERT_OK(t_mod_load_default(SOFT_MOD));
		EXPECT(exists("/sys/class/misc/" T_SOFT));
	}
	close(buf);
	EXPECT_EQ(kmsg_bad(kmsg), 0);
	close(kmsg);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(provider_before_core_fails_enoent),
	KTAP_CASE(core_unload_refused_while_provider_loaded),
	KTAP_CASE_T(core_alone_then_providers_in_any_order, 120),
	KTAP_CASE(provider_unload_while_core_and_buffers_in_use),
	KTAP_CASE_T(provider_reload_cycles_clean, 120),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
