/*
 * uiommu.c - the `uiommu` command.
 *
 * One table (cli_verbs) drives the verbs: their names, usage lines and the
 * function that runs each; usage text and dispatch both come from it.
 *
 * `uiommu run [DECL...] [--] prog [args...]` execs prog with the preload
 * shim first in LD_PRELOAD, so an unmodified program's /dev/iommu is
 * uiommu.  The shim is looked for in this order: $UIOMMU_SHIM; the build
 * tree, when this binary is the one in the build tree; the installed
 * library directory.
 *
 * `uiommu devices [DECL...]` lists the IOMMU units and emulated devices a
 * program would get, from the same configuration the shim reads (the core
 * is linked in: the same parser, the same messages).
 *
 * DECL options put declarations where the shim reads them: `--config FILE`
 * sets UIOMMU_CONFIG (and unsets UIOMMU_DEVICES, which would win over it);
 * `--unit SPEC` and `--device SPEC` add "unit SPEC" / "device SPEC" entries,
 * in order, after what FILE (or else the environment) declares, all in
 * UIOMMU_DEVICES.  `run` checks declarations given by options before it
 * runs anything.
 *
 * Exit status: the verb's, 2 for a usage error or bad declarations given by
 * options, 1 when `devices` meets an error in the configuration, 126/127
 * when prog cannot be run (as a shell reports it).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dev/emu_dev.h"
#include "iommu/unit.h"
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
static int cli_devices(int argc, char **argv);
static int cli_version(int argc, char **argv);
static int cli_help(int argc, char **argv);

static const struct cli_verb cli_verbs[] = {
	{ "run", "[DECL...] [--] PROG [ARGS...]",
	  "run PROG with /dev/iommu provided by uiommu (LD_PRELOAD shim)",
	  cli_run },
	{ "devices", "[DECL...]",
	  "list the IOMMU units and devices PROG would see", cli_devices },
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
	fprintf(out, "\nDECL (declarations of units and devices):\n"
		     "  --config FILE    read declarations from FILE (UIOMMU_CONFIG)\n"
		     "  --unit SPEC      add 'unit SPEC', e.g. 'vtd1 type=vtd aw=48'\n"
		     "  --device SPEC    add 'device SPEC', e.g.\n"
		     "                   'vfio1 unit=vtd1 bdf=00:04.0 group=2 model=dma'\n"
		     "\nenvironment:\n"
		     "  UIOMMU_SHIM     path of libuiommu-preload.so to use\n"
		     "  UIOMMU_DEVICES  declarations ('unit ...; device ...')\n"
		     "  UIOMMU_CONFIG   file of declarations (when UIOMMU_DEVICES is unset)\n");
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

/* Declarations given by options. */
struct cli_decl {
	const char *config;	/* --config FILE, or NULL */
	char *entries;		/* "unit ...\ndevice ...\n" in order, or NULL */
	size_t len;
};

/* Append "@kind @spec\n" to @d->entries: 0, or an exit status. */
static int cli_decl_add(struct cli_decl *d, const char *verb,
			const char *kind, const char *spec)
{
	size_t n = strlen(kind) + 1 + strlen(spec) + 2;
	char *p;

	/* One option, one entry: no separators inside. */
	if (strpbrk(spec, ";\n")) {
		fprintf(stderr, "uiommu %s: --%s '%s': one entry per option (no ';' or newline)\n",
			verb, kind, spec);
		return EXIT_USAGE;
	}
	p = realloc(d->entries, d->len + n);
	if (!p) {
		perror("uiommu");
		return 1;
	}
	snprintf(p + d->len, n, "%s %s\n", kind, spec);
	d->entries = p;
	d->len += n - 1;
	return 0;
}

/*
 * Parse DECL options from argv[*i] on (stops at the first other word or
 * after "--"): 0, or an exit status.
 */
static int cli_decl_parse(struct cli_decl *d, const char *verb, int argc,
			  char **argv, int *i)
{
	int rc;

	while (*i < argc && argv[*i][0] == '-') {
		const char *opt = argv[*i];

		if (!strcmp(opt, "--")) {
			(*i)++;
			return 0;
		}
		if (strcmp(opt, "--config") && strcmp(opt, "--unit") &&
		    strcmp(opt, "--device")) {
			fprintf(stderr, "uiommu %s: unknown option '%s'\n", verb,
				opt);
			return EXIT_USAGE;
		}
		if (*i + 1 >= argc) {
			fprintf(stderr, "uiommu %s: %s needs a value\n", verb,
				opt);
			return EXIT_USAGE;
		}
		if (!strcmp(opt, "--config"))
			d->config = argv[*i + 1];
		else if ((rc = cli_decl_add(d, verb, opt + 2, argv[*i + 1])))
			return rc;
		*i += 2;
	}
	return 0;
}

/* Put @d where the shim reads declarations: 0, or an exit status. */
static int cli_decl_apply(struct cli_decl *d, const char *verb)
{
	const char *env = getenv("UIOMMU_DEVICES");
	const char *file = d->config;
	char abs[PATH_MAX], *base = NULL, *text;
	size_t n;
	int rc = 0;

	if (file) {
		/* Absolute, so PROG finds it from any directory. */
		if (!realpath(file, abs) || access(abs, R_OK)) {
			fprintf(stderr, "uiommu %s: --config %s: %s\n", verb, file,
				strerror(errno));
			return EXIT_USAGE;
		}
		if (setenv("UIOMMU_CONFIG", abs, 1) ||
		    unsetenv("UIOMMU_DEVICES")) {
			perror("uiommu");
			return 1;
		}
		env = NULL;
	}
	if (!d->entries)
		return 0;
	/* What the shim would have read otherwise comes first. */
	if (env && *env) {
		base = strdup(env);
	} else {
		file = getenv("UIOMMU_CONFIG");
		if (file && *file) {
			base = emu_read_file(file);
			if (!base) {
				fprintf(stderr, "uiommu %s: UIOMMU_CONFIG=%s: %s\n",
					verb, file, strerror(errno));
				return EXIT_USAGE;
			}
		} else {
			base = strdup("");
		}
	}
	if (!base) {
		perror("uiommu");
		return 1;
	}
	n = strlen(base) + 1 + d->len + 1;
	text = malloc(n);
	if (!text) {
		perror("uiommu");
		free(base);
		return 1;
	}
	snprintf(text, n, "%s\n%s", base, d->entries);
	if (setenv("UIOMMU_DEVICES", text, 1)) {
		perror("uiommu");
		rc = 1;
	}
	free(text);
	free(base);
	return rc;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void cli_list_units(void)
{
	struct iommu_unit *unit;

	printf("%-10s %-7s %-3s %-3s %-5s %s\n", "UNIT", "TYPE", "AW", "OAS",
	       "PASID", "FEATURES");
	for (unsigned int i = 0; (unit = emu_unit_at(i)); i++) {
		const struct iommu_unit_config *c = iommu_unit_config(unit);
		static const struct {
			uint32_t bit;
			const char *name;
		} feats[] = {
			{ IOMMU_UNIT_F_NEST, "nest" },
			{ IOMMU_UNIT_F_DIRTY, "dirty" },
			{ IOMMU_UNIT_F_ATS, "ats" },
			{ IOMMU_UNIT_F_PRI, "pri" },
			{ IOMMU_UNIT_F_EXEC, "exec" },
			{ IOMMU_UNIT_F_PRIV, "priv" },
		};
		char f[64] = "";

		for (size_t k = 0; k < ARRAY_SIZE(feats); k++)
			if (c->features & feats[k].bit)
				snprintf(f + strlen(f), sizeof(f) - strlen(f),
					 "%s%s", *f ? "," : "", feats[k].name);
		printf("%-10s %-7s %-3u %-3u %-5u %s\n", c->name,
		       iommu_unit_type_name(c->type), c->aw, c->oas,
		       c->pasid_lg2, *f ? f : "-");
	}
}

static void cli_list_devices(void)
{
	struct emu_dev *d;

	printf("%-10s %-10s %-12s %-8s %-5s %-5s %-3s %-3s %s\n", "DEVICE",
	       "UNIT", "BDF", "GROUP", "MODEL", "PASID", "ATS", "PRI", "NODE");
	for (unsigned int i = 0; (d = emu_dev_at(i)); i++) {
		char bdf[16];

		snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%x", d->segment,
			 d->rid >> 8, (d->rid >> 3) & 0x1f, d->rid & 7);
		printf("%-10s %-10s %-12s %-8u %-5s %-5u %-3s %-3s /dev/vfio/devices/%s\n",
		       d->name, iommu_unit_config(d->unit)->name, bdf,
		       d->group, d->model == EMU_MODEL_DMA ? "dma" : "none",
		       d->pasid_lg2, yes_no(d->ats), yes_no(d->pri), d->name);
	}
}

static int cli_devices(int argc, char **argv)
{
	struct cli_decl d = { 0 };
	int i = 1, rc;

	rc = cli_decl_parse(&d, "devices", argc, argv, &i);
	if (!rc && i < argc) {
		fprintf(stderr, "usage: uiommu devices [DECL...]\n");
		rc = EXIT_USAGE;
	}
	if (!rc)
		rc = cli_decl_apply(&d, "devices");
	free(d.entries);
	if (rc)
		return rc;
	/* The shim's own loading: its messages on stderr, then the list. */
	rc = emu_config_load() ? 1 : 0;
	cli_list_units();
	printf("\n");
	cli_list_devices();
	return rc;
}

static int cli_run(int argc, char **argv)
{
	struct cli_decl d = { 0 };
	const char *shim, *old;
	char *preload;
	int i = 1, rc;

	rc = cli_decl_parse(&d, "run", argc, argv, &i);
	if (!rc && i >= argc) {
		fprintf(stderr, "usage: uiommu run [DECL...] [--] PROG [ARGS...]\n");
		rc = EXIT_USAGE;
	}
	if (!rc)
		rc = cli_decl_apply(&d, "run");
	/* Declarations from options must be right before PROG runs. */
	if (!rc && (d.entries || d.config) && emu_config_load())
		rc = EXIT_USAGE;
	free(d.entries);
	if (rc)
		return rc;
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
