// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters have ranges: a value out of range fails the load
 * (EINVAL) or the write to /sys/module/MODULE/parameters/ (EINVAL), with a
 * log line naming the range; sizes take K/M/G suffixes and land exactly.
 * The core's parameters are mmdma's, a provider's are its module's
 * (edu_* mmdma_edu, soft_* mmdma_soft, isa_* mmdma_isa); the log line comes
 * from the core's range checker either way ("mmdma: ").  Unloads and
 * reloads the driver ($MMDMA_KO and the providers next to it, with
 * $MMDMA_PARAMS after each case).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* The profile's modules back, for whatever runs next. */
static void reload_default(void)
{
	t_driver_unload();
	ASSERT_OK(t_driver_load());
}

static const struct {
	const char *params;
	const char *log;	/* what the log line must say */
} bad_loads[] = {
	{ "edu_dma_bits=99", "mmdma: edu_dma_bits=99 refused: the range is 24 to 64" },
	{ "edu_dma_bits=23", "mmdma: edu_dma_bits=23 refused: the range is 24 to 64" },
	{ "edu_dma_bits=-1", "mmdma: edu_dma_bits=-1 refused: not a number" },
	{ "isa_unit=2", "mmdma: isa_unit=2 refused: the range is 0 to 1" },
	{ "op_timeout_ms=0", "mmdma: op_timeout_ms=0 refused: the range is 1 to 600000" },
	{ "op_timeout_ms=600001", "mmdma: op_timeout_ms=600001 refused: the range is 1 to 600000" },
	{ "max_buf_size=0", "mmdma: max_buf_size=0 refused: the range is 4096 to 18446744073709551615" },
	{ "max_buf_size=4095", "mmdma: max_buf_size=4095 refused: the range is 4096" },
	{ "max_buf_size=-1", "mmdma: max_buf_size=-1 refused: not a size in bytes" },
	{ "max_buf_size=4kk", "mmdma: max_buf_size=4kk refused: not a size in bytes" },
	{ "max_buf_size=1Q", "mmdma: max_buf_size=1Q refused: not a size in bytes" },
	{ "max_buf_size=16E", "mmdma: max_buf_size=16E refused: not a size in bytes" },
	{ "max_total=0", "mmdma: max_total=0 refused: the range is 4096" },
	{ "soft_mem_size=1", "mmdma: soft_mem_size=1 refused: the range is 4096 to 4294963200, or 0" },
	{ "soft_mem_size=4G", "mmdma: soft_mem_size=4G refused: the range is 4096 to 4294963200, or 0" },
	{ "soft_mem_size=6000", "mmdma: soft_mem_size=6000 refused: not a multiple of the page size" },
	{ "reserved_size=5000", "mmdma: reserved_size=5000 refused: not a multiple of the page size" },
};

/*
 * Each value out of range: the module it belongs to does not load, and the
 * log says why.  A provider's is loaded on the core alone (its own module
 * out first); a core's with nothing loaded.
 */
static void load_out_of_range_fails_einval_with_reason(void)
{
	t_core_ko();
	for (size_t i = 0; i < sizeof(bad_loads) / sizeof(bad_loads[0]); i++) {
		char name[64], path[256], sys[128];
		const char *mod;
		int kmsg;

		snprintf(name, sizeof(name), "%.*s",
			 (int)strcspn(bad_loads[i].params, "="), bad_loads[i].params);
		mod = t_param_module(name);
		if (!strcmp(mod, "mmdma")) {
			ASSERT_OK(t_driver_unload());
			snprintf(path, sizeof(path), "%s", t_core_ko());
		} else {
			ASSERT_OK(mod_unload(mod));
			t_mod_path(mod, path, sizeof(path));
		}
		snprintf(sys, sizeof(sys), "/sys/module/%s", mod);
		kmsg = kmsg_open();
		EXPECT_ERR(mod_load(path, bad_loads[i].params), EINVAL);
		EXPECT_EQ(access(sys, F_OK), -1);
		if (!kmsg_saw(kmsg, bad_loads[i].log))
			ktap_fail(false, __FILE__, __LINE__,
				  "load of %s with %s: no log line '%s'", mod,
				  bad_loads[i].params, bad_loads[i].log);
		close(kmsg);
		/* Loaded again, so the next unload has a module to unload. */
		if (!strcmp(mod, "mmdma"))
			ASSERT_OK(t_driver_load());
		else
			ASSERT_OK(t_mod_load_default(mod));
	}
}

static const struct {
	const char *name, *value, *expect;
} good_loads[] = {
	{ "max_buf_size", "2M", "2097152\n" },
	{ "max_total", "3g", "3221225472\n" },
	{ "soft_mem_size", "64k", "65536\n" },
	{ "op_timeout_ms", "0x3e8", "1000\n" },
	{ "edu_dma_bits", "64", "64\n" },
	{ "reserved_size", "0", "0\n" },
};

/* Load @mod with every good_loads value that is its own. */
static void load_good(const char *mod)
{
	char params[512] = "", path[256];
	size_t len = 0;

	for (size_t i = 0; i < sizeof(good_loads) / sizeof(good_loads[0]); i++) {
		if (strcmp(t_param_module(good_loads[i].name), mod))
			continue;
		len += snprintf(params + len, sizeof(params) - len, "%s%s=%s",
				len ? " " : "", good_loads[i].name, good_loads[i].value);
	}
	if (!strcmp(mod, "mmdma"))
		snprintf(path, sizeof(path), "%s", t_core_ko());
	else
		t_mod_path(mod, path, sizeof(path));
	ASSERT_OK(mod_load(path, params));
}

/* Sizes with suffixes (and hex) load, and the parameter holds the exact value. */
static void load_suffixed_sizes_exact(void)
{
	t_core_ko();
	ASSERT_OK(t_driver_unload());
	load_good("mmdma");
	load_good("mmdma_soft");
	load_good("mmdma_edu");
	for (size_t i = 0; i < sizeof(good_loads) / sizeof(good_loads[0]); i++) {
		char path[128], line[64];

		snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s",
			 t_param_module(good_loads[i].name), good_loads[i].name);
		t_read_line(path, line, sizeof(line));
		if (strcmp(line, good_loads[i].expect))
			ktap_fail(false, __FILE__, __LINE__, "%s=%s reads '%s', expected '%s'",
				  good_loads[i].name, good_loads[i].value, line,
				  good_loads[i].expect);
	}
	/* And the driver uses them: MMDMA_IOC_INFO reports the caps. */
	struct mmdma_info info = t_ctl_info();

	EXPECT_EQ(info.max_buf_size, 2ULL << 20);
	EXPECT_EQ(info.max_total, 3ULL << 30);
	reload_default();
}

/* write(2) of @value to parameter @name: 0 or -errno. */
static int param_write(const char *name, const char *value)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s",
		 t_param_module(name), name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static const struct {
	const char *name, *value, *log;
} bad_writes[] = {
	{ "edu_dma_bits", "99\n", "mmdma: edu_dma_bits=99 refused: the range is 24 to 64" },
	{ "op_timeout_ms", "0\n", "mmdma: op_timeout_ms=0 refused: the range is 1 to 600000" },
	{ "max_buf_size", "0\n", "mmdma: max_buf_size=0 refused: the range is 4096" },
	{ "max_buf_size", " 4096\n", "mmdma: max_buf_size= 4096 refused: not a size" },
	{ "max_buf_size", "-1\n", "mmdma: max_buf_size=-1 refused: not a size" },
	{ "max_buf_size", "4096 \n", "mmdma: max_buf_size=4096  refused: not a size" },
	{ "max_total", "100\n", "mmdma: max_total=100 refused: the range is 4096" },
	{ "isa_unit", "2\n", "mmdma: isa_unit=2 refused: the range is 0 to 1" },
};

/* At run time: EINVAL, the value unchanged, and the log line. */
static void runtime_write_out_of_range_einval(void)
{
	for (size_t i = 0; i < sizeof(bad_writes) / sizeof(bad_writes[0]); i++) {
		unsigned long long before = t_param_get(bad_writes[i].name);
		int kmsg = kmsg_open();

		EXPECT_ERR(param_write(bad_writes[i].name, bad_writes[i].value), EINVAL);
		EXPECT_EQ(t_param_get(bad_writes[i].name), before);
		if (!kmsg_saw(kmsg, bad_writes[i].log))
			ktap_fail(false, __FILE__, __LINE__, "write '%s' to %s: no log line '%s'",
				  bad_writes[i].value, bad_writes[i].name,
				  bad_writes[i].log);
		close(kmsg);
	}
}

/* Suffixes at run time too; each value lands exactly, then the old comes back. */
static void runtime_write_suffixes_exact(void)
{
	static const struct { const char *name, *value; unsigned long long v; } w[] = {
		{ "max_buf_size", "4k\n", 4096 },
		{ "max_buf_size", "1G", 1ULL << 30 },
		{ "max_buf_size", "0x20000\n", 0x20000 },
		{ "max_total", "5G\n", 5ULL << 30 },
		{ "max_total", "1t\n", 1ULL << 40 },
		{ "op_timeout_ms", "600000\n", 600000 },
		{ "op_timeout_ms", "1\n", 1 },
		{ "edu_dma_bits", "24\n", 24 },
	};

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		unsigned long long before = t_param_get(w[i].name);

		EXPECT_OK(param_write(w[i].name, w[i].value));
		EXPECT_EQ(t_param_get(w[i].name), w[i].v);
		t_param_set(w[i].name, before);
		EXPECT_EQ(t_param_get(w[i].name), before);
	}
}

static const struct ktap_case cases[] = {
	KTAP_CASE_T(load_out_of_range_fails_einval_with_reason, 300),
	KTAP_CASE(runtime_write_out_of_range_einval),
	KTAP_CASE(load_suffixed_sizes_exact),
	KTAP_CASE(runtime_write_suffixes_exact),
};

int main(int argc, char **argv)
{
	return ktap_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
