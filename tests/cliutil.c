// SPDX-License-Identifier: GPL-2.0
/*
 * Running the mmdma CLI from a test, and a small JSON checker.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cliutil.h"

/* Read @fds[0..1] into @bufs until both end. */
static void drain(int fds[2], char *bufs[2], size_t sizes[2])
{
	size_t len[2] = { 0, 0 };
	struct pollfd p[2];

	for (;;) {
		int n = 0;

		for (int i = 0; i < 2; i++) {
			if (fds[i] >= 0) {
				p[n].fd = fds[i];
				p[n].events = POLLIN;
				n++;
			}
		}
		if (!n)
			break;
		if (poll(p, n, 60000) <= 0)
			break;
		for (int k = 0; k < n; k++) {
			int i = p[k].fd == fds[0] ? 0 : 1;
			char junk[4096];
			ssize_t r;

			if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (len[i] + 1 < sizes[i])
				r = read(fds[i], bufs[i] + len[i], sizes[i] - 1 - len[i]);
			else
				r = read(fds[i], junk, sizeof(junk));	/* keep the child going */
			if (r <= 0) {
				/* EIO: the pty's other side is closed. */
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
			if (len[i] + 1 < sizes[i])
				len[i] += r;
		}
	}
	bufs[0][len[0]] = '\0';
	bufs[1][len[1]] = '\0';
}

int cli_run(struct cli_out *o, const char *env, bool pty, const char *const *args)
{
	const char *cli = getenv("MMDMA_CLI");
	const char *argv[32];
	int out[2], err[2] = { -1, -1 }, st;
	size_t n = 0;
	pid_t pid;

	argv[n++] = cli && *cli ? cli : "mmdma";
	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	o->out[0] = o->err[0] = '\0';
	if (pty) {
		out[0] = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (out[0] < 0 || grantpt(out[0]) || unlockpt(out[0]))
			return -errno;
		out[1] = open(ptsname(out[0]), O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (out[1] < 0)
			return -errno;
	} else if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		return -errno;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(out[1], 1);
		dup2(pty ? out[1] : err[1], 2);
		if (env)
			putenv((char *)env);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	if (!pty)
		close(err[1]);
	{
		int fds[2] = { out[0], err[0] };
		char *bufs[2] = { o->out, o->err };
		size_t sizes[2] = { sizeof(o->out), sizeof(o->err) };

		drain(fds, bufs, sizes);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

/* A recursive-descent JSON checker: enough to tell valid from not. */
struct json {
	const char *p;
	int depth;
};

static void ws(struct json *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static bool value(struct json *j);

static bool string(struct json *j)
{
	if (*j->p != '"')
		return false;
	j->p++;
	while (*j->p != '"') {
		unsigned char c = (unsigned char)*j->p;

		if (c < 0x20)		/* also the end of the text */
			return false;
		if (c == '\\') {
			j->p++;
			if (*j->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", j->p[i]) || !j->p[i])
						return false;
				j->p += 4;
			} else if (!*j->p || !strchr("\"\\/bfnrt", *j->p)) {
				return false;
			}
		}
		j->p++;
	}
	j->p++;
	return true;
}

static bool digits(struct json *j)
{
	if (*j->p < '0' || *j->p > '9')
		return false;
	while (*j->p >= '0' && *j->p <= '9')
		j->p++;
	return true;
}

static bool number(struct json *j)
{
	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else if (!digits(j))
		return false;
	if (*j->p == '.') {
		j->p++;
		if (!digits(j))
			return false;
	}
	if (*j->p == 'e' || *j->p == 'E') {
		j->p++;
		if (*j->p == '+' || *j->p == '-')
			j->p++;
		if (!digits(j))
			return false;
	}
	return true;
}

static bool members(struct json *j, char close, bool object)
{
	j->p++;
	ws(j);
	if (*j->p == close) {
		j->p++;
		return true;
	}
	for (;;) {
		ws(j);
		if (object) {
			if (!string(j))
				return false;
			ws(j);
			if (*j->p != ':')
				return false;
			j->p++;
		}
		if (!value(j))
			return false;
		ws(j);
		if (*j->p == close) {
			j->p++;
			return true;
		}
		if (*j->p != ',')
			return false;
		j->p++;
	}
}

static bool value(struct json *j)
{
	bool ok;

	ws(j);
	if (++j->depth > 64)
		return false;
	switch (*j->p) {
	case '{':
		ok = members(j, '}', true);
		break;
	case '[':
		ok = members(j, ']', false);
		break;
	case '"':
		ok = string(j);
		break;
	case 't':
		ok = !strncmp(j->p, "true", 4) && (j->p += 4);
		break;
	case 'f':
		ok = !strncmp(j->p, "false", 5) && (j->p += 5);
		break;
	case 'n':
		ok = !strncmp(j->p, "null", 4) && (j->p += 4);
		break;
	default:
		ok = number(j);
	}
	j->depth--;
	return ok;
}

bool json_valid(const char *s, const char **where)
{
	struct json j = { s, 0 };
	bool ok = value(&j);

	if (ok) {
		ws(&j);
		ok = !*j.p;
	}
	if (where)
		*where = j.p;
	return ok;
}

const char *const cli_commands[] = {
	"info", "devices", "buffers", "create", "delete", "map", "tour", "xfer", "explain", "help",
};
const size_t cli_nr_commands = sizeof(cli_commands) / sizeof(cli_commands[0]);
