/*
 * uiommu.c - the `uiommu` command.
 *
 * One table (cli_verbs) drives the verbs: their names, usage lines and the
 * function that runs each; usage text and dispatch both come from it.
 *
 * `uiommu run [--] prog [args...]` execs prog with the preload shim first in
 * LD_PRELOAD, so an unmodified program's /dev/iommu is uiommu.  The shim is
 * looked for in this order: $UIOMMU_SHIM; the build tree, when this binary
 * is the one in the build tree; the installed library directory.
 *
 * Exit status: the verb's, 2 for a usage error, 126/127 when prog cannot be
 * run (as a shell reports it).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/compiler.h"

#ifndef UIOMMU_VERSION
#define UIOMMU_VERSION "unknown"
#endif

#define EXIT_USAGE 2

struct cli_verb {
	const char *name;
	const char *args;
	const char *summary;
	int (*run)(int argc, char **argv);	/* argv[0] is the verb */
};

static int cli_run(int argc, char **argv);
static int cli_version(int argc, char **argv);
static int cli_help(int argc, char **argv);

static const struct cli_verb cli_verbs[] = {
	{ "run", "[--] PROG [ARGS...]",
	  "run PROG with /dev/iommu provided by uiommu (LD_PRELOAD shim)",
	  cli_run },
	{ "version", "", "print the version", cli_version },
	{ "help", "", "print this help", cli_help },
};

/* Spellings some users type for a verb. */
static const struct {
	const char *alias;
	const char *verb;
} cli_aliases[] = {
	{ "--help", "help" },
	{ "-h", "help" },
	{ "--version", "version" },
};

static void cli_usage(FILE *out)
{
	fprintf(out, "usage: uiommu COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cli_verbs); i++) {
		const struct cli_verb *v = &cli_verbs[i];
		char head[64];

		snprintf(head, sizeof(head), "%s %s", v->name, v->args);
		fprintf(out, "  %-28s %s\n", head, v->summary);
	}
	fprintf(out, "\nenvironment:\n"
		     "  UIOMMU_SHIM   path of libuiommu-preload.so to use\n");
}

static bool file_readable(const char *path)
{
	return path && *path && !access(path, R_OK);
}

/* Is this binary the one in the build tree? */
static bool cli_in_build_tree(void)
{
#ifdef UIOMMU_CLI_BUILD_DIR
	char self[PATH_MAX], build[PATH_MAX];
	char *slash;

	if (!realpath("/proc/self/exe", self) ||
	    !realpath(UIOMMU_CLI_BUILD_DIR, build))
		return false;
	slash = strrchr(self, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return !strcmp(self, build);
#else
	return false;
#endif
}

static const char *cli_find_shim(void)
{
	static char env_path[PATH_MAX];
	const char *env = getenv("UIOMMU_SHIM");

	/* Absolute, so the programs PROG starts find it from any cwd. */
	if (env && *env)
		return file_readable(env) && realpath(env, env_path) ?
			       env_path : NULL;
#ifdef UIOMMU_SHIM_BUILD_PATH
	if (cli_in_build_tree() && file_readable(UIOMMU_SHIM_BUILD_PATH))
		return UIOMMU_SHIM_BUILD_PATH;
#endif
#ifdef UIOMMU_SHIM_INSTALL_PATH
	if (file_readable(UIOMMU_SHIM_INSTALL_PATH))
		return UIOMMU_SHIM_INSTALL_PATH;
#endif
	return NULL;
}

static int cli_run(int argc, char **argv)
{
	const char *shim, *old;
	char *preload;
	int i = 1;

	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	else if (i < argc && argv[i][0] == '-') {
		fprintf(stderr, "uiommu run: unknown option '%s'\n", argv[i]);
		return EXIT_USAGE;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: uiommu run [--] PROG [ARGS...]\n");
		return EXIT_USAGE;
	}
	shim = cli_find_shim();
	if (!shim) {
		fprintf(stderr,
			"uiommu: cannot find libuiommu-preload.so%s%s\n",
			getenv("UIOMMU_SHIM") ? " at UIOMMU_SHIM=" : "",
			getenv("UIOMMU_SHIM") ? getenv("UIOMMU_SHIM") : "");
		return 1;
	}
	old = getenv("LD_PRELOAD");
	if (old && *old) {
		size_t len = strlen(shim) + 1 + strlen(old) + 1;

		preload = malloc(len);
		if (!preload) {
			perror("uiommu");
			return 1;
		}
		snprintf(preload, len, "%s:%s", shim, old);
	} else {
		preload = strdup(shim);
		if (!preload) {
			perror("uiommu");
			return 1;
		}
	}
	if (setenv("LD_PRELOAD", preload, 1)) {
		perror("uiommu: LD_PRELOAD");
		free(preload);
		return 1;
	}
	free(preload);
	execvp(argv[i], &argv[i]);
	fprintf(stderr, "uiommu: cannot run '%s': %s\n", argv[i],
		strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

static int cli_version(int argc, char **argv)
{
	printf("uiommu %s\n", UIOMMU_VERSION);
	return 0;
}

static int cli_help(int argc, char **argv)
{
	cli_usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const char *name;

	if (argc < 2) {
		cli_usage(stderr);
		return EXIT_USAGE;
	}
	name = argv[1];
	for (size_t i = 0; i < ARRAY_SIZE(cli_aliases); i++)
		if (!strcmp(name, cli_aliases[i].alias))
			name = cli_aliases[i].verb;
	for (size_t i = 0; i < ARRAY_SIZE(cli_verbs); i++)
		if (!strcmp(name, cli_verbs[i].name))
			return cli_verbs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "uiommu: unknown command '%s'\n\n", argv[1]);
	cli_usage(stderr);
	return EXIT_USAGE;
}
