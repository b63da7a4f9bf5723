// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma CLI: messages, the number parser, the hints that tell a missing
 * module from a missing or stale node, and JSON strings.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mmdma_cli.h"

const char *cli_prog = "mmdma";

int cli_fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", cli_prog, what, strerror(err));
	return CLI_FAIL;
}

int cli_say(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int cli_number(const char *cmd, const char *what, const char *s, uint64_t *out)
{
	int ret = mmdma_parse_size(s, out);

	if (ret == -ERANGE)
		return cli_say(CLI_USAGE, "%s: %s '%s' is too large (at most 2^64 - 1 bytes)",
			       cmd, what, s);
	if (ret)
		return cli_say(CLI_USAGE,
			       "%s: %s '%s' is not a number: give decimal or 0x-hex digits with an optional k, M or G suffix, no sign and no spaces",
			       cmd, what, s);
	return 0;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The device number sysfs gives the misc device @name now, or 0. */
static dev_t sysfs_devt(const char *name)
{
	char path[PATH_MAX];
	unsigned int maj, min;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/class/misc/%s/dev", name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fscanf(f, "%u:%u", &maj, &min);
	fclose(f);
	return n == 2 ? makedev(maj, min) : 0;
}

int cli_explain_open(const char *path, int err)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	bool ours = !strncmp(base, "mmdma", 5);
	bool loaded = exists("/sys/module/mmdma");
	struct stat st;
	dev_t now;

	if (!*path)
		return cli_say(CLI_USAGE, "an empty name is no file or device node");
	switch (err) {
	case ENOENT:
		if (!ours)
			break;
		if (!loaded) {
			cli_say(CLI_UNAVAILABLE,
				"%s: %s: the mmdma module is not loaded (insmod mmdma.ko, or modprobe mmdma where it is installed)",
				path, strerror(err));
			return CLI_UNAVAILABLE;
		}
		if (sysfs_devt(base)) {
			unsigned int maj = major(sysfs_devt(base));
			unsigned int min = minor(sysfs_devt(base));

			return cli_say(CLI_UNAVAILABLE,
				       "%s: %s: the module is loaded and the device exists (/sys/class/misc/%s, %u:%u), but the node does not: mount devtmpfs on /dev, let udev make it, or mknod %s c %u %u",
				       path, strerror(err), base, maj, min, path,
				       maj, min);
		}
		return cli_say(CLI_UNAVAILABLE,
			       "%s: %s: the module is loaded but has no device '%s': 'mmdma devices' lists the DMA devices present (mmdma-soft0 from the module mmdma_soft unless soft_mem_size=0; mmdma-edu0 from mmdma_edu and QEMU's edu PCI device)",
			       path, strerror(err), base);
	case ENODEV:
	case ENXIO:
		if (stat(path, &st) || !S_ISCHR(st.st_mode))
			break;
		now = sysfs_devt(base);
		if (!loaded)
			return cli_say(CLI_UNAVAILABLE,
				       "%s: %s: the node is stale: no driver answers its device number %u:%u, and the mmdma module is not loaded (load it again)",
				       path, strerror(err), major(st.st_rdev),
				       minor(st.st_rdev));
		if (now && now != st.st_rdev)
			return cli_say(CLI_UNAVAILABLE,
				       "%s: %s: the node is stale: it is %u:%u, but the module's %s is %u:%u now (remove the node; devtmpfs or udev makes the right one)",
				       path, strerror(err), major(st.st_rdev),
				       minor(st.st_rdev), base, major(now), minor(now));
		return cli_say(CLI_UNAVAILABLE,
			       "%s: %s: the node is stale: no driver answers its device number %u:%u (made for an earlier load of the module?)",
			       path, strerror(err), major(st.st_rdev),
			       minor(st.st_rdev));
	case EACCES:
		if (stat(path, &st) || !S_ISCHR(st.st_mode))
			break;
		return cli_say(CLI_FAIL,
			       "%s: %s: the node is mode %04o, owner %u, group %u: run as root, or install a udev rule that gives a group access to /dev/mmdma* (MODE=\"0660\", GROUP=...; docs/security.md)",
			       path, strerror(err), st.st_mode & 07777,
			       st.st_uid, st.st_gid);
	case EISDIR:
		return cli_say(CLI_USAGE, "%s is a directory, not a file or a device node",
			       path);
	}
	return cli_fail(path, err);
}

int cli_open_ctl(void)
{
	const char *env = getenv("MMDMA_DEV");
	const char *path = env && *env ? env : MMDMA_CTL_PATH;
	int ctl = mmdma_open();
	struct mmdma_info info;

	if (ctl < 0)
		return -cli_explain_open(path, -ctl);
	/* $MMDMA_DEV may name anything: make sure it is the control node. */
	if (mmdma_info(ctl, &info) == -ENOTTY) {
		close(ctl);
		cli_say(CLI_USAGE, "%s is not the mmdma control node (that is %s, which MMDMA_IOC_INFO answers)",
			path, MMDMA_CTL_PATH);
		return -CLI_USAGE;
	}
	return ctl;
}

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			/*
			 * Control bytes and anything not ASCII escaped: the
			 * output is valid JSON whatever the bytes were.
			 */
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* The first line of @dir/@name/@attr, newline dropped; "" if unreadable. */
void cli_attr(const char *dir, const char *name, const char *attr, char *out,
	      size_t n)
{
	char path[PATH_MAX];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, name, attr);
	out[0] = '\0';
	f = fopen(path, "re");
	if (!f)
		return;
	len = fread(out, 1, n - 1, f);
	fclose(f);
	out[len] = '\0';
	while (len && out[len - 1] == '\n')
		out[--len] = '\0';
}
