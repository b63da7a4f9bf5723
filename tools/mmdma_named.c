// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma CLI: persistent named buffers ("create", "delete", and the named
 * part of "buffers").  create and delete drive configfs
 * (/sys/kernel/config/mmdma/NAME), the kernel's way to let the
 * administrator make objects; a buffer made by the named= module parameter
 * is deleted through its sysfs "delete" file instead.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmdma_cli.h"

#define CFS_DIR		"/sys/kernel/config/mmdma"
#define CLASS_DIR	"/sys/class/mmdma-named"

static const char *const cache_names[] = { "default", "cached", "wc", "uc" };

/* Write @value to @dir/@name/@attr in one go: 0 or -errno. */
static int put_attr(const char *dir, const char *name, const char *attr,
		    const char *value)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, name, attr);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static int name_ok(const char *name)
{
	size_t len = strlen(name);

	if (!len || len > 32 || name[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(name[i] >= 'a' && name[i] <= 'z') && !(name[i] >= 'A' && name[i] <= 'Z') &&
		    !(name[i] >= '0' && name[i] <= '9') && !strchr("_.-", name[i]))
			return 0;
	return 1;
}

static int no_configfs(const char *cmd)
{
	if (access("/sys/module/mmdma", F_OK))
		return cli_say(CLI_UNAVAILABLE, "%s: the mmdma module is not loaded", cmd);
	return cli_say(CLI_FAIL,
		       "%s: %s: %s (no configfs in this kernel, or not mounted: mount -t configfs none /sys/kernel/config; or make the buffer with the named= module parameter)",
		       cmd, CFS_DIR, strerror(errno));
}

int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "cache", required_argument, NULL, 'c' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *kind = "pages", *cache = NULL, *device = NULL, *name;
	char path[PATH_MAX], size_s[32];
	uint64_t size;
	int c, ret;

	while ((c = getopt_long(argc, argv, "k:c:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			kind = optarg;
			if (!mmdma_kind_parse(kind))
				return cli_say(CLI_USAGE,
					       "create: unknown kind '%s' (pages contig vmalloc coherent reserved)",
					       kind);
			break;
		case 'c':
			cache = optarg;
			ret = 0;
			for (size_t i = 0; i < 4; i++)
				ret |= !strcmp(cache, cache_names[i]);
			if (!ret)
				return cli_say(CLI_USAGE,
					       "create: unknown cache mode '%s' (default cached wc uc)",
					       cache);
			break;
		case 'd':
			device = optarg;
			break;
		case 'h':
			cli_help(stdout, "create");
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	if (argc - optind != 2)
		return cli_say(CLI_USAGE, "create: want NAME SIZE (see mmdma create --help)");
	name = argv[optind];
	if (!name_ok(name))
		return cli_say(CLI_USAGE,
			       "create: bad name '%s': 1 to 32 of A-Z a-z 0-9 _ . -, not starting with '.'",
			       name);
	ret = cli_number("create", "size", argv[optind + 1], &size);
	if (ret)
		return ret;
	if (access(CFS_DIR, F_OK))
		return no_configfs("create");
	snprintf(path, sizeof(path), CFS_DIR "/%s", name);
	if (mkdir(path, 0755)) {
		if (errno == EEXIST)
			return cli_say(CLI_FAIL, "create: %s: a named buffer of that name exists", name);
		return cli_fail(path, errno);
	}
	snprintf(size_s, sizeof(size_s), "%llu", (unsigned long long)size);
	ret = put_attr(CFS_DIR, name, "size", size_s);
	if (!ret)
		ret = put_attr(CFS_DIR, name, "kind", kind);
	if (!ret && cache)
		ret = put_attr(CFS_DIR, name, "cache", cache);
	if (!ret && device)
		ret = put_attr(CFS_DIR, name, "device", device);
	if (!ret)
		ret = put_attr(CFS_DIR, name, "enable", "1");
	if (ret) {
		rmdir(path);
		return cli_say(CLI_FAIL, "create: %s: %s%s", name, strerror(-ret),
			       ret == -E2BIG ? " (over max_buf_size)" :
			       ret == -ENOMEM ? " (over max_total, or out of memory)" :
			       ret == -ENODEV ? " (no such DMA device: mmdma devices)" : "");
	}
	printf("/dev/mmdma-named/%s\n", name);
	return CLI_OK;
}

int cmd_delete(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char path[PATH_MAX];
	const char *name;
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			cli_help(stdout, "delete");
			return CLI_OK;
		}
		return CLI_USAGE;
	}
	if (argc - optind != 1)
		return cli_say(CLI_USAGE, "delete: want NAME (see mmdma delete --help)");
	name = argv[optind];
	if (!name_ok(name))
		return cli_say(CLI_USAGE, "delete: bad name '%s'", name);
	if (access("/sys/module/mmdma", F_OK))
		return cli_say(CLI_UNAVAILABLE, "delete: the mmdma module is not loaded");
	snprintf(path, sizeof(path), CFS_DIR "/%s", name);
	if (!access(path, F_OK)) {
		if (rmdir(path))
			return cli_fail(path, errno);
		return CLI_OK;
	}
	snprintf(path, sizeof(path), CLASS_DIR "/%s", name);
	if (access(path, F_OK))
		return cli_say(CLI_FAIL, "delete: no named buffer '%s'", name);
	ret = put_attr(CLASS_DIR, name, "delete", "1");
	if (ret)
		return cli_fail(path, -ret);
	return CLI_OK;
}

static int visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* After the buffer table of "buffers": the named ones, by name. */
int cli_named_list(bool json, bool first)
{
	static const char *const attrs[] = { "size", "kind", "cache", "dma_device",
					     "origin" };
	struct dirent **list;
	char v[6][128];
	int n = scandir(CLASS_DIR, &list, visible, alphasort);

	if (n < 0)
		return 0;
	if (!json && n)
		printf("\n%-20s %12s %-9s %-7s %-12s %-8s %s\n", "named", "size", "kind",
		       "cache", "device", "origin", "node");
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;

		for (size_t a = 0; a < 5; a++)
			cli_attr(CLASS_DIR, name, attrs[a], v[a], sizeof(v[a]));
		if (json) {
			printf("%s\n  {\"name\": ", first && !i ? "" : ",");
			json_string(stdout, name);
			printf(", \"size\": %s", v[0][0] ? v[0] : "null");
			for (size_t a = 1; a < 5; a++) {
				printf(", \"%s\": ", attrs[a]);
				json_string(stdout, v[a]);
			}
			printf(", \"node\": \"/dev/mmdma-named/");
			printf("%s\"}", name);	/* names need no escaping */
		} else {
			printf("%-20s %12s %-9s %-7s %-12s %-8s /dev/mmdma-named/%s\n", name,
			       v[0], v[1], v[2], v[3][0] ? v[3] : "-", v[4], name);
		}
		free(list[i]);
	}
	free(list);
	return n;
}
