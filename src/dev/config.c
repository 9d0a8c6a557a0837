/*
 * config.c - declaring emulated devices and their IOMMU units: the parser
 * of "unit" and "device" entries and the process-wide registry.
 *
 * The registry is append-only: units and devices declared stay until the
 * process exits, so a pointer from emu_dev_lookup() never dangles.  A
 * declaration with an error in its text creates nothing: every entry is
 * parsed and checked against the registry and the entries before it, then
 * the units and devices are created, all or nothing (running out of
 * memory half-way destroys what this declaration had made).  The environment (UIOMMU_DEVICES, else the file UIOMMU_CONFIG)
 * is read once, on first use; when it declares nothing and no program
 * declared anything either, the default configuration applies.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/emu_dev.h"
#include "util/err.h"
#include "util/fault_inject.h"

#define EMU_DEV_MAX 256
#define EMU_ENTRY_MAX 512

static const char emu_config_default[] =
	"unit vtd0 type=vtd aw=48\n"
	"device vfio0 unit=vtd0 bdf=0000:00:03.0 group=1 model=dma";

struct emu_unit_ref {
	char name[IOMMU_UNIT_NAME_MAX];
	struct iommu_unit *unit;
};

static pthread_mutex_t emu_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static bool emu_env_loaded;
static bool emu_declared;
static int emu_env_rc;		/* what loading the environment gave */
static struct emu_unit_ref emu_units[IOMMU_UNIT_MAX];
static unsigned int emu_nunits;
static struct emu_dev *emu_devs[EMU_DEV_MAX];
static unsigned int emu_ndevs;

/* A parsed entry not yet created. */
struct emu_entry {
	bool is_unit;
	struct iommu_unit_config ucfg;
	struct emu_dev dcfg;		/* name, segment, rid, group, caps, model */
	char unit_name[IOMMU_UNIT_NAME_MAX];
	bool has_group;
};

static void emu_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static const struct iommu_unit_config *
emu_find_unit_cfg(const struct emu_entry *e, unsigned int n, const char *name,
		  struct iommu_unit **unit)
{
	*unit = NULL;
	for (unsigned int i = 0; i < emu_nunits; i++)
		if (!strcmp(emu_units[i].name, name)) {
			*unit = emu_units[i].unit;
			return iommu_unit_config(emu_units[i].unit);
		}
	for (unsigned int i = 0; i < n; i++)
		if (e[i].is_unit && !strcmp(e[i].ucfg.name, name))
			return &e[i].ucfg;
	return NULL;
}

/* "[SEG:]BB:DD.F" */
static bool emu_parse_bdf(const char *v, uint16_t *seg, uint16_t *rid)
{
	unsigned int s = 0, b, d, f;
	int n = -1;

	if (sscanf(v, "%x:%x:%x.%x%n", &s, &b, &d, &f, &n) == 4 &&
	    n == (int)strlen(v))
		goto check;
	s = 0;
	n = -1;
	if (sscanf(v, "%x:%x.%x%n", &b, &d, &f, &n) != 3 ||
	    n != (int)strlen(v))
		return false;
check:
	if (s > 0xffff || b > 0xff || d > 0x1f || f > 7)
		return false;
	*seg = s;
	*rid = b << 8 | d << 3 | f;
	return true;
}

static bool emu_parse_uint(const char *v, unsigned long max,
			   unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	*out = strtoul(v, &end, 0);
	return !errno && !*end && *out <= max;
}

/* One "device ..." entry (tokens after the keyword). */
static int emu_parse_device(char *s, struct emu_entry *e, char *err,
			    size_t err_len)
{
	struct emu_dev *d = &e->dcfg;
	bool has_bdf = false;
	char *tok, *save;
	unsigned long v;

	tok = strtok_r(s, " \t", &save);
	if (!tok || strncmp(tok, "vfio", 4) || !tok[4] ||
	    strspn(tok + 4, "0123456789") != strlen(tok + 4) ||
	    strlen(tok) >= EMU_DEV_NAME_MAX) {
		emu_err(err, err_len,
			"device %s: the name must be vfio<N> (it appears as /dev/vfio/devices/<name>)",
			tok ? tok : "(none)");
		return -EINVAL;
	}
	strcpy(d->name, tok);
	d->model = EMU_MODEL_DMA;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *val = strchr(tok, '=');

		if (val)
			*val++ = '\0';
		if (val && !strcmp(tok, "unit")) {
			if (strlen(val) >= IOMMU_UNIT_NAME_MAX)
				goto bad_token;
			strcpy(e->unit_name, val);
		} else if (val && !strcmp(tok, "bdf")) {
			if (!emu_parse_bdf(val, &d->segment, &d->rid)) {
				emu_err(err, err_len,
					"device %s: 'bdf=%s': expected [SEGMENT:]BUS:DEV.FN in hex (dev <= 1f, fn <= 7)",
					d->name, val);
				return -EINVAL;
			}
			has_bdf = true;
		} else if (val && !strcmp(tok, "group")) {
			if (!emu_parse_uint(val, UINT32_MAX, &v))
				goto bad_token;
			d->group = v;
			e->has_group = true;
		} else if (val && !strcmp(tok, "model")) {
			if (!strcmp(val, "dma"))
				d->model = EMU_MODEL_DMA;
			else if (!strcmp(val, "none"))
				d->model = EMU_MODEL_NONE;
			else {
				emu_err(err, err_len,
					"device %s: 'model=%s': models are dma and none",
					d->name, val);
				return -EINVAL;
			}
		} else if (val && !strcmp(tok, "pasid")) {
			if (!emu_parse_uint(val, 20, &v))
				goto bad_token;
			d->pasid_lg2 = v;
		} else if (!val && !strcmp(tok, "ats")) {
			d->ats = true;
		} else if (!val && !strcmp(tok, "pri")) {
			d->pri = true;
		} else {
			if (val)
				val[-1] = '=';
			emu_err(err, err_len,
				"device %s: '%s': unknown key (unit, bdf, group, model, pasid, ats, pri)",
				d->name, tok);
			return -EINVAL;
		}
		continue;
bad_token:
		emu_err(err, err_len, "device %s: '%s=%s': bad value", d->name,
			tok, val);
		return -EINVAL;
	}
	if (!e->unit_name[0] || !has_bdf) {
		emu_err(err, err_len, "device %s: %s= is required", d->name,
			!e->unit_name[0] ? "unit" : "bdf");
		return -EINVAL;
	}
	return 0;
}

/* Cross-checks of device entry @i against the registry and earlier entries. */
static int emu_check_device(struct emu_entry *ents, unsigned int i, char *err,
			    size_t err_len)
{
	struct emu_entry *e = &ents[i];
	struct emu_dev *d = &e->dcfg;
	const struct iommu_unit_config *ucfg;
	struct iommu_unit *unit;

	ucfg = emu_find_unit_cfg(ents, i, e->unit_name, &unit);
	if (!ucfg) {
		emu_err(err, err_len,
			"device %s: 'unit=%s': no unit of that name is declared before it",
			d->name, e->unit_name);
		return -EINVAL;
	}
	if (d->pasid_lg2 > ucfg->pasid_lg2) {
		emu_err(err, err_len,
			"device %s: 'pasid=%u': unit %s supports %u PASID bits",
			d->name, d->pasid_lg2, ucfg->name, ucfg->pasid_lg2);
		return -EINVAL;
	}
	if (d->pri && !(ucfg->features & IOMMU_UNIT_F_PRI)) {
		emu_err(err, err_len, "device %s: 'pri': unit %s has no pri",
			d->name, ucfg->name);
		return -EINVAL;
	}
	if (d->ats && !(ucfg->features & IOMMU_UNIT_F_ATS)) {
		emu_err(err, err_len, "device %s: 'ats': unit %s has no ats",
			d->name, ucfg->name);
		return -EINVAL;
	}
	for (unsigned int k = 0; k < emu_ndevs + i; k++) {
		const struct emu_dev *o;
		const char *ounit;

		if (k < emu_ndevs) {
			o = emu_devs[k];
			ounit = iommu_unit_config(o->unit)->name;
		} else {
			if (ents[k - emu_ndevs].is_unit)
				continue;
			o = &ents[k - emu_ndevs].dcfg;
			ounit = ents[k - emu_ndevs].unit_name;
		}
		if (!strcmp(o->name, d->name)) {
			emu_err(err, err_len, "device %s: declared twice",
				d->name);
			return -EINVAL;
		}
		if (!strcmp(ounit, e->unit_name) && o->rid == d->rid &&
		    o->segment == d->segment) {
			emu_err(err, err_len,
				"device %s: 'bdf=%04x:%02x:%02x.%x': %s already has that RID on unit %s",
				d->name, d->segment, d->rid >> 8,
				(d->rid >> 3) & 0x1f, d->rid & 7, o->name,
				ounit);
			return -EINVAL;
		}
		if (e->has_group && o->group == d->group &&
		    strcmp(ounit, e->unit_name)) {
			emu_err(err, err_len,
				"device %s: 'group=%u': group %u is behind unit %s (a group sits behind one unit)",
				d->name, d->group, d->group, ounit);
			return -EINVAL;
		}
	}
	return 0;
}

static int emu_parse_all(char *text, struct emu_entry *ents,
			 unsigned int *nents, char *err, size_t err_len)
{
	unsigned int n = 0;
	char *entry, *save;
	int rc;

	for (entry = strtok_r(text, ";\n", &save); entry;
	     entry = strtok_r(NULL, ";\n", &save)) {
		char *hash = strchr(entry, '#');
		char *p;

		if (hash)
			*hash = '\0';
		p = entry + strspn(entry, " \t\r");
		if (!*p)
			continue;
		if (n == EMU_ENTRY_MAX) {
			emu_err(err, err_len, "too many entries (at most %u)",
				EMU_ENTRY_MAX);
			return -EINVAL;
		}
		memset(&ents[n], 0, sizeof(ents[n]));
		if (!strncmp(p, "unit", 4) && isspace((unsigned char)p[4])) {
			struct iommu_unit *dummy;

			ents[n].is_unit = true;
			rc = iommu_unit_config_parse(p, &ents[n].ucfg, err,
						     err_len);
			if (rc)
				return rc;
			if (emu_find_unit_cfg(ents, n, ents[n].ucfg.name,
					      &dummy)) {
				emu_err(err, err_len, "unit %s: declared twice",
					ents[n].ucfg.name);
				return -EINVAL;
			}
		} else if (!strncmp(p, "device", 6) &&
			   isspace((unsigned char)p[6])) {
			rc = emu_parse_device(p + 6, &ents[n], err, err_len);
			if (rc)
				return rc;
			rc = emu_check_device(ents, n, err, err_len);
			if (rc)
				return rc;
		} else {
			size_t l = strcspn(p, " \t");

			emu_err(err, err_len,
				"'%.*s': an entry starts with unit or device",
				(int)(l > 40 ? 40 : l), p);
			return -EINVAL;
		}
		n++;
	}
	*nents = n;
	return 0;
}

static struct emu_dev *emu_group_leader(uint32_t group)
{
	for (unsigned int i = 0; i < emu_ndevs; i++)
		if (emu_devs[i]->group == group)
			return emu_devs[i];
	return NULL;
}

/* Create what @ents declares.  Registry lock held. */
static int emu_create_entries(struct emu_entry *ents, unsigned int n,
			      char *err, size_t err_len)
{
	unsigned int units = 0, devs = 0;
	uint32_t next_group = 0x10000;

	for (unsigned int i = 0; i < n; i++)
		units += ents[i].is_unit;
	devs = n - units;
	if (emu_nunits + units > IOMMU_UNIT_MAX ||
	    emu_ndevs + devs > EMU_DEV_MAX) {
		emu_err(err, err_len, "too many units or devices");
		return -ENOSPC;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct emu_entry *e = &ents[i];
		struct emu_dev *edev;
		struct iommu_unit *unit;
		int rc;

		if (e->is_unit) {
			unit = iommu_unit_create(&e->ucfg);
			if (IS_ERR(unit)) {
				emu_err(err, err_len, "unit %s: cannot create it: %s",
					e->ucfg.name, strerror(-PTR_ERR(unit)));
				return PTR_ERR(unit);
			}
			strcpy(emu_units[emu_nunits].name, e->ucfg.name);
			emu_units[emu_nunits++].unit = unit;
			continue;
		}
		emu_find_unit_cfg(NULL, 0, e->unit_name, &unit);
		edev = ufi_calloc(1, sizeof(*edev));
		if (!edev) {
			emu_err(err, err_len, "device %s: out of memory",
				e->dcfg.name);
			return -ENOMEM;
		}
		*edev = e->dcfg;
		edev->unit = unit;
		if (!e->has_group) {
			while (emu_group_leader(next_group))
				next_group++;
			edev->group = next_group;
		}
		pthread_mutex_init(&edev->lock, NULL);
		for (unsigned int k = 0; k < EMU_DEV_NUM_IRQS; k++)
			edev->irq_efd[k] = -1;
		rc = emu_unit_dev_init(edev, emu_group_leader(edev->group));
		if (!rc && edev->model == EMU_MODEL_DMA) {
			rc = emu_dma_engine_init(edev);
			if (rc)
				iommu_dev_remove(&edev->dev);
		}
		if (rc) {
			emu_err(err, err_len, "device %s: cannot create it: %s",
				edev->name, strerror(-rc));
			free(edev);
			return rc;
		}
		emu_devs[emu_ndevs++] = edev;
	}
	return 0;
}

/*
 * As emu_create_entries, all or nothing: when one entry cannot be created
 * the units and devices made before it are destroyed again.
 */
static int emu_create_all(struct emu_entry *ents, unsigned int n, char *err,
			  size_t err_len)
{
	unsigned int units = emu_nunits, devs = emu_ndevs;
	int rc = emu_create_entries(ents, n, err, err_len);

	if (!rc)
		return 0;
	while (emu_ndevs > devs) {
		struct emu_dev *edev = emu_devs[--emu_ndevs];

		iommu_dev_remove(&edev->dev);
		free(edev->dma);
		pthread_mutex_destroy(&edev->lock);
		free(edev);
	}
	while (emu_nunits > units)
		iommu_unit_destroy(emu_units[--emu_nunits].unit);
	return rc;
}

static int emu_declare_locked(const char *text, char *err, size_t err_len)
{
	struct emu_entry *ents;
	unsigned int n = 0;
	char *copy;
	int rc;

	copy = ufi_strdup(text);
	ents = ufi_calloc(EMU_ENTRY_MAX, sizeof(*ents));
	if (!copy || !ents) {
		free(copy);
		free(ents);
		emu_err(err, err_len, "out of memory");
		return -ENOMEM;
	}
	rc = emu_parse_all(copy, ents, &n, err, err_len);
	if (!rc)
		rc = emu_create_all(ents, n, err, err_len);
	free(ents);
	free(copy);
	return rc;
}

char *emu_read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = ufi_strdup("");
	}
	fclose(f);
	return buf;
}

/* Registry lock held. */
static void emu_env_load(void)
{
	const char *text = getenv("UIOMMU_DEVICES");
	const char *path = getenv("UIOMMU_CONFIG");
	const char *what = "UIOMMU_DEVICES";
	char err[256] = "";
	char *file = NULL;

	if (emu_env_loaded)
		return;
	emu_env_loaded = true;
	if ((!text || !*text) && path && *path) {
		file = emu_read_file(path);
		if (!file) {
			emu_env_rc = -errno;
			fprintf(stderr, "uiommu: UIOMMU_CONFIG=%s: %s\n", path,
				strerror(errno));
			emu_declared = true;
			return;
		}
		text = file;
		what = path;
	}
	if (text && *text) {
		emu_declared = true;
		emu_env_rc = emu_declare_locked(text, err, sizeof(err));
		if (emu_env_rc)
			fprintf(stderr, "uiommu: %s: %s\n", what, err);
	}
	free(file);
}

int emu_config_declare(const char *text, char *err, size_t err_len)
{
	int rc;

	if (!text)
		return -EFAULT;
	pthread_mutex_lock(&emu_registry_lock);
	emu_env_load();
	emu_declared = true;
	rc = emu_declare_locked(text, err, err_len);
	pthread_mutex_unlock(&emu_registry_lock);
	return rc;
}

/* Registry lock held: the default set when nothing was declared. */
static void emu_load_locked(void)
{
	char err[256];

	emu_env_load();
	if (!emu_declared) {
		if (emu_declare_locked(emu_config_default, err, sizeof(err)))
			fprintf(stderr, "uiommu: default devices: %s\n", err);
		else
			emu_declared = true;
	}
}

struct emu_dev *emu_dev_lookup(const char *name)
{
	struct emu_dev *edev = NULL;

	pthread_mutex_lock(&emu_registry_lock);
	/* A default set that could not be made is tried again next time. */
	emu_load_locked();
	for (unsigned int i = 0; i < emu_ndevs; i++)
		if (!strcmp(emu_devs[i]->name, name))
			edev = emu_devs[i];
	pthread_mutex_unlock(&emu_registry_lock);
	return edev;
}

int emu_config_load(void)
{
	int rc;

	pthread_mutex_lock(&emu_registry_lock);
	emu_load_locked();
	rc = emu_env_rc;
	pthread_mutex_unlock(&emu_registry_lock);
	return rc;
}

struct emu_dev *emu_dev_at(unsigned int i)
{
	struct emu_dev *edev;

	pthread_mutex_lock(&emu_registry_lock);
	edev = i < emu_ndevs ? emu_devs[i] : NULL;
	pthread_mutex_unlock(&emu_registry_lock);
	return edev;
}

struct iommu_unit *emu_unit_at(unsigned int i)
{
	struct iommu_unit *unit;

	pthread_mutex_lock(&emu_registry_lock);
	unit = i < emu_nunits ? emu_units[i].unit : NULL;
	pthread_mutex_unlock(&emu_registry_lock);
	return unit;
}
