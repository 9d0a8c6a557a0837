/*
 * unit.c - software IOMMU units: configuration text, creation and teardown,
 * the registry of live units, the context table (attach / detach), IOTLB
 * invalidation entry points, the fault log and GET_HW_INFO.
 *
 * Per-type knowledge (defaults, limits, formats, register images) lives in
 * unit_vtd.c, unit_amd.c, unit_smmuv3.c and unit_riscv.c behind struct
 * iommu_unit_type_ops.  See unit_priv.h for the context table's layout and
 * publication rules.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/unit_priv.h"
#include "util/compiler.h"
#include "util/err.h"
#include "util/fault_inject.h"

static const struct iommu_unit_type_ops *const type_ops[IOMMU_UNIT_NR_TYPES] = {
    [IOMMU_UNIT_VTD] = &iommu_unit_vtd_ops,
    [IOMMU_UNIT_AMD] = &iommu_unit_amd_ops,
    [IOMMU_UNIT_SMMUV3] = &iommu_unit_smmuv3_ops,
    [IOMMU_UNIT_RISCV] = &iommu_unit_riscv_ops,
};

const struct iommu_unit_type_ops *
__iommu_unit_type_ops(enum iommu_unit_type type)
{
	if ((unsigned int)type >= IOMMU_UNIT_NR_TYPES)
		return NULL;
	return type_ops[type];
}

const char *iommu_unit_type_name(enum iommu_unit_type type)
{
	const struct iommu_unit_type_ops *ops = __iommu_unit_type_ops(type);

	return ops ? ops->name : "?";
}

/* --- configuration ------------------------------------------------------- */

void iommu_unit_config_init(struct iommu_unit_config *cfg,
			    enum iommu_unit_type type)
{
	const struct iommu_unit_type_ops *ops = __iommu_unit_type_ops(type);

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "iommu0");
	cfg->type = type;
	cfg->aw = 48;
	cfg->oas = 48;
	cfg->granule_lg2 = 12;
	cfg->iotlb_entries = 4096;
	cfg->iotlb_ways = 4;
	cfg->fault_log = 256;
	if (ops)
		ops->defaults(cfg);
}

static const struct {
	const char *name;
	uint32_t bit;
} config_flags[] = {
    {"nest", IOMMU_UNIT_F_NEST}, {"dirty", IOMMU_UNIT_F_DIRTY},
    {"ats", IOMMU_UNIT_F_ATS},	 {"pri", IOMMU_UNIT_F_PRI},
    {"exec", IOMMU_UNIT_F_EXEC}, {"priv", IOMMU_UNIT_F_PRIV},
};

enum config_key {
	KEY_TYPE,
	KEY_AW,
	KEY_OAS,
	KEY_PASID,
	KEY_GRANULE,
	KEY_IOTLB,
	KEY_WAYS,
	KEY_FAULTS,
	KEY_S1,
	KEY_S2,
	NR_KEYS,
};

static const char *const key_names[NR_KEYS] = {
    [KEY_TYPE] = "type",   [KEY_AW] = "aw",	      [KEY_OAS] = "oas",
    [KEY_PASID] = "pasid", [KEY_GRANULE] = "granule", [KEY_IOTLB] = "iotlb",
    [KEY_WAYS] = "ways",   [KEY_FAULTS] = "faults",   [KEY_S1] = "s1",
    [KEY_S2] = "s2",
};

#define MAX_TOKENS 32
#define TOKEN_MAX 64

struct parse {
	char tok[MAX_TOKENS][TOKEN_MAX];
	unsigned int n;
	int key_tok[NR_KEYS]; /* token index that set a key, or -1 */
	char *err;
	size_t err_len;
	const char *unit;
};

static int __attribute__((format(printf, 3, 4)))
parse_error(struct parse *p, int tok, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err && p->err_len) {
		if (tok >= 0)
			snprintf(p->err, p->err_len, "unit %s: '%s': %s",
				 p->unit, p->tok[tok], msg);
		else
			snprintf(p->err, p->err_len, "unit %s: %s", p->unit,
				 msg);
	}
	return -EINVAL;
}

static int tokenize(struct parse *p, const char *text)
{
	const char *s = text;

	p->n = 0;
	for (;;) {
		size_t len = 0;

		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			return 0;
		if (p->n == MAX_TOKENS)
			return parse_error(p, -1, "more than %d tokens",
					   MAX_TOKENS);
		while (s[len] && !isspace((unsigned char)s[len]))
			len++;
		if (len >= TOKEN_MAX) {
			snprintf(p->tok[p->n], TOKEN_MAX, "%.*s...", 24, s);
			return parse_error(p, (int)p->n, "token too long");
		}
		memcpy(p->tok[p->n], s, len);
		p->tok[p->n][len] = 0;
		p->n++;
		s += len;
	}
}

static int parse_u32(const char *v, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long x;

	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || *end || x > max)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

static int parse_type(const char *v, enum iommu_unit_type *type)
{
	for (unsigned int t = 0; t < IOMMU_UNIT_NR_TYPES; t++) {
		if (!strcmp(v, type_ops[t]->name)) {
			*type = (enum iommu_unit_type)t;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_granule(const char *v, uint8_t *lg2)
{
	if (!strcmp(v, "4k") || !strcmp(v, "4096"))
		*lg2 = 12;
	else if (!strcmp(v, "16k") || !strcmp(v, "16384"))
		*lg2 = 14;
	else if (!strcmp(v, "64k") || !strcmp(v, "65536"))
		*lg2 = 16;
	else
		return -EINVAL;
	return 0;
}

static bool name_ok(const char *s)
{
	if (!*s || strlen(s) >= IOMMU_UNIT_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return false;
	return true;
}

bool __iommu_unit_format_fits(enum iommu_unit_type type, unsigned int stage,
			      const struct pt_format *f)
{
	switch (type) {
	case IOMMU_UNIT_VTD:
		return f->family ==
		       (stage == 1 ? PT_FAMILY_VTD_FS : PT_FAMILY_VTD_SS);
	case IOMMU_UNIT_AMD:
		/* stage 1: the v2 (x86 long mode) table; stage 2: v1 */
		return f->family ==
		       (stage == 1 ? PT_FAMILY_VTD_FS : PT_FAMILY_AMDV1);
	case IOMMU_UNIT_SMMUV3:
		return f->family == PT_FAMILY_ARM &&
		       !!(f->flags & PT_ARM_STAGE2) == (stage == 2);
	case IOMMU_UNIT_RISCV:
		return f->family == PT_FAMILY_RISCV &&
		       !!(f->flags & PT_RISCV_GSTAGE) == (stage == 2);
	default:
		return false;
	}
}

/*
 * Check @cfg and resolve its formats.  On error, *key is the configuration
 * key at fault (or NULL) and @msg says why.
 */
static int config_check(const struct iommu_unit_config *cfg,
			const struct pt_format *fmt[2], const char **key,
			char *msg, size_t len)
{
	const struct iommu_unit_type_ops *ops =
	    __iommu_unit_type_ops(cfg->type);
	const char *names[2];
	int ret;

	*key = NULL;
	if (!ops) {
		*key = "type";
		snprintf(msg, len, "unknown unit type");
		return -EINVAL;
	}
	if (!name_ok(cfg->name)) {
		snprintf(msg, len, "bad unit name");
		return -EINVAL;
	}
	if (cfg->pasid_lg2 > 20) {
		*key = "pasid";
		snprintf(msg, len, "PASID width is at most 20 bits");
		return -EINVAL;
	}
	if (cfg->oas < 48 || cfg->oas > 52) {
		*key = "oas";
		snprintf(msg, len,
			 "output width must be 48..52 (physical addresses "
			 "are host virtual addresses)");
		return -EINVAL;
	}
	if (cfg->iotlb_ways != 1 && cfg->iotlb_ways != 2 &&
	    cfg->iotlb_ways != 4 && cfg->iotlb_ways != 8) {
		*key = "ways";
		snprintf(msg, len, "ways must be 1, 2, 4 or 8");
		return -EINVAL;
	}
	if (cfg->iotlb_entries &&
	    ((cfg->iotlb_entries & (cfg->iotlb_entries - 1)) ||
	     cfg->iotlb_entries < cfg->iotlb_ways ||
	     cfg->iotlb_entries > (1u << 24))) {
		*key = "iotlb";
		snprintf(msg, len,
			 "entries must be 0 or a power of two from ways "
			 "to 16M");
		return -EINVAL;
	}
	if (!cfg->fault_log || cfg->fault_log > 65536) {
		*key = "faults";
		snprintf(msg, len, "fault log size must be 1..65536");
		return -EINVAL;
	}
	if ((cfg->features & (IOMMU_UNIT_F_EXEC | IOMMU_UNIT_F_PRIV)) &&
	    !cfg->pasid_lg2) {
		*key = cfg->features & IOMMU_UNIT_F_EXEC ? "exec" : "priv";
		snprintf(msg, len, "needs PASID support (pasid=N)");
		return -EINVAL;
	}
	ret = ops->validate(cfg, key, msg, len);
	if (ret)
		return ret;
	ops->formats(cfg, &names[0], &names[1]);
	if (cfg->s1_format[0])
		names[0] = cfg->s1_format;
	if (cfg->s2_format[0])
		names[1] = cfg->s2_format;
	for (unsigned int s = 0; s < 2; s++) {
		fmt[s] = pt_format_by_name(names[s]);
		if (!fmt[s]) {
			*key = s ? "s2" : "s1";
			snprintf(msg, len, "no page-table format '%s'",
				 names[s]);
			return -EINVAL;
		}
		if (!__iommu_unit_format_fits(cfg->type, s + 1, fmt[s])) {
			*key = s ? "s2" : "s1";
			snprintf(msg, len,
				 "format '%s' is not a stage-%u format of %s",
				 names[s], s + 1, ops->name);
			return -EINVAL;
		}
		if (fmt[s]->granule_lg2 != cfg->granule_lg2) {
			*key = s ? "s2" : "s1";
			snprintf(msg, len,
				 "format '%s' has a %u KiB granule, the unit "
				 "%u KiB",
				 names[s], 1u << (fmt[s]->granule_lg2 - 10),
				 1u << (cfg->granule_lg2 - 10));
			return -EINVAL;
		}
	}
	return 0;
}

static int apply_token(struct parse *p, unsigned int i,
		       struct iommu_unit_config *cfg)
{
	const char *t = p->tok[i];
	const char *eq = strchr(t, '=');
	char key[TOKEN_MAX];
	const char *v;
	uint32_t x;
	int k;

	if (!eq) {
		bool neg = !strncmp(t, "no", 2);

		for (size_t f = 0; f < ARRAY_SIZE(config_flags); f++) {
			if (!strcmp(t, config_flags[f].name)) {
				cfg->features |= config_flags[f].bit;
				return 0;
			}
			if (neg && !strcmp(t + 2, config_flags[f].name)) {
				cfg->features &= ~config_flags[f].bit;
				return 0;
			}
		}
		return parse_error(p, (int)i, "unknown flag");
	}
	memcpy(key, t, (size_t)(eq - t));
	key[eq - t] = 0;
	v = eq + 1;
	for (k = 0; k < NR_KEYS; k++)
		if (!strcmp(key, key_names[k]))
			break;
	if (k == NR_KEYS)
		return parse_error(p, (int)i, "unknown option");
	if (p->key_tok[k] >= 0 && p->key_tok[k] != (int)i)
		return parse_error(p, (int)i, "'%s' given twice", key);
	p->key_tok[k] = (int)i;
	if (!*v)
		return parse_error(p, (int)i, "missing value");

	switch ((enum config_key)k) {
	case KEY_TYPE:
		return 0; /* applied first */
	case KEY_AW:
		if (parse_u32(v, 64, &x) || x < 32)
			return parse_error(p, (int)i,
					   "address width must be 32..64");
		cfg->aw = (uint8_t)x;
		return 0;
	case KEY_OAS:
		if (parse_u32(v, 64, &x))
			return parse_error(p, (int)i, "bad number");
		cfg->oas = (uint8_t)x;
		return 0;
	case KEY_PASID:
		if (parse_u32(v, 32, &x))
			return parse_error(p, (int)i, "bad number");
		cfg->pasid_lg2 = (uint8_t)x;
		return 0;
	case KEY_GRANULE:
		if (parse_granule(v, &cfg->granule_lg2))
			return parse_error(p, (int)i,
					   "granule must be 4k, 16k or 64k");
		return 0;
	case KEY_IOTLB:
		if (parse_u32(v, UINT32_MAX, &cfg->iotlb_entries))
			return parse_error(p, (int)i, "bad number");
		return 0;
	case KEY_WAYS:
		if (parse_u32(v, 255, &x))
			return parse_error(p, (int)i, "bad number");
		cfg->iotlb_ways = (uint8_t)x;
		return 0;
	case KEY_FAULTS:
		if (parse_u32(v, UINT32_MAX, &cfg->fault_log))
			return parse_error(p, (int)i, "bad number");
		return 0;
	case KEY_S1:
	case KEY_S2: {
		char *dst = k == KEY_S1 ? cfg->s1_format : cfg->s2_format;

		if (strlen(v) >= sizeof(cfg->s1_format))
			return parse_error(p, (int)i, "name too long");
		strcpy(dst, v);
		return 0;
	}
	case NR_KEYS:
		break;
	}
	return parse_error(p, (int)i, "unknown option");
}

int iommu_unit_config_parse(const char *text, struct iommu_unit_config *cfg,
			    char *err, size_t err_len)
{
	struct parse *p;
	enum iommu_unit_type type;
	const struct pt_format *fmt[2];
	const char *bad_key;
	char msg[128];
	int type_tok = -1;
	int ret;

	p = ufi_calloc(1, sizeof(*p));
	if (!p) {
		if (err && err_len)
			snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	p->err = err;
	p->err_len = err_len;
	p->unit = "?";
	for (int k = 0; k < NR_KEYS; k++)
		p->key_tok[k] = -1;
	if (err && err_len)
		err[0] = 0;

	ret = tokenize(p, text);
	if (ret)
		goto out;
	if (p->n == 0 || strcmp(p->tok[0], "unit")) {
		ret = parse_error(p, p->n ? 0 : -1,
				  "a declaration starts with 'unit NAME'");
		goto out;
	}
	if (p->n < 2 || strchr(p->tok[1], '=') || !name_ok(p->tok[1])) {
		ret = parse_error(p, p->n < 2 ? -1 : 1,
				  "expected a unit name (letters, digits, "
				  "'_', '-', '.'; at most %d)",
				  IOMMU_UNIT_NAME_MAX - 1);
		goto out;
	}
	p->unit = p->tok[1];
	for (unsigned int i = 2; i < p->n; i++) {
		if (!strncmp(p->tok[i], "type=", 5)) {
			if (type_tok >= 0) {
				ret = parse_error(p, (int)i,
						  "'type' given twice");
				goto out;
			}
			type_tok = (int)i;
		}
	}
	if (type_tok < 0) {
		ret = parse_error(p, -1, "missing type=vtd|amd|smmuv3|riscv");
		goto out;
	}
	if (parse_type(p->tok[type_tok] + 5, &type)) {
		ret = parse_error(p, type_tok,
				  "unknown type (vtd, amd, smmuv3, riscv)");
		goto out;
	}
	iommu_unit_config_init(cfg, type);
	strcpy(cfg->name, p->tok[1]);
	for (unsigned int i = 2; i < p->n; i++) {
		ret = apply_token(p, i, cfg);
		if (ret)
			goto out;
	}
	ret = config_check(cfg, fmt, &bad_key, msg, sizeof(msg));
	if (ret) {
		int tok = -1;

		for (int k = 0; bad_key && k < NR_KEYS; k++)
			if (!strcmp(bad_key, key_names[k]))
				tok = p->key_tok[k];
		for (size_t f = 0;
		     bad_key && tok < 0 && f < ARRAY_SIZE(config_flags); f++)
			if (!strcmp(bad_key, config_flags[f].name))
				for (unsigned int i = 2; i < p->n; i++)
					if (!strcmp(p->tok[i], bad_key))
						tok = (int)i;
		if (tok >= 0)
			parse_error(p, tok, "%s", msg);
		else if (bad_key)
			parse_error(p, -1, "%s (default): %s", bad_key, msg);
		else
			parse_error(p, -1, "%s", msg);
	}
out:
	free(p);
	return ret;
}

/* --- registry ------------------------------------------------------------ */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct iommu_unit *registry[IOMMU_UNIT_MAX];

void __iommu_units_for_mask(uint64_t mask,
			    void (*fn)(struct iommu_unit *u, void *arg),
			    void *arg)
{
	pthread_mutex_lock(&registry_lock);
	for (unsigned int i = 0; i < IOMMU_UNIT_MAX; i++)
		if ((mask & (1ull << i)) && registry[i])
			fn(registry[i], arg);
	pthread_mutex_unlock(&registry_lock);
}

/* --- create / destroy ---------------------------------------------------- */

struct iommu_unit *iommu_unit_create(const struct iommu_unit_config *cfg)
{
	const struct pt_format *fmt[2];
	struct iommu_unit *u;
	const char *key;
	char msg[128];
	int ret;

	if (config_check(cfg, fmt, &key, msg, sizeof(msg)))
		return ERR_PTR(-EINVAL);
	u = ufi_calloc(1, sizeof(*u));
	if (!u)
		return ERR_PTR(-ENOMEM);
	u->cfg = *cfg;
	u->ops = __iommu_unit_type_ops(cfg->type);
	u->fmt[0] = fmt[0];
	u->fmt[1] = fmt[1];
	u->pasid_dir_size = cfg->pasid_lg2 > PASID_LEAF_BITS
				? 1u << (cfg->pasid_lg2 - PASID_LEAF_BITS)
				: 1u;
	pthread_mutex_init(&u->lock, NULL);
	u->log = ufi_calloc(cfg->fault_log, sizeof(*u->log));
	if (!u->log) {
		ret = -ENOMEM;
		goto err_free;
	}
	if (cfg->iotlb_entries) {
		ret = iotlb_init(&u->tlb, cfg->iotlb_entries, cfg->iotlb_ways,
				 !!(cfg->features & IOMMU_UNIT_F_NEST));
		if (ret)
			goto err_free;
		u->has_tlb = true;
	}
	pthread_mutex_lock(&registry_lock);
	for (u->index = 0; u->index < IOMMU_UNIT_MAX; u->index++)
		if (!registry[u->index])
			break;
	if (u->index == IOMMU_UNIT_MAX) {
		pthread_mutex_unlock(&registry_lock);
		ret = -ENOSPC;
		goto err_free;
	}
	registry[u->index] = u;
	pthread_mutex_unlock(&registry_lock);
	return u;

err_free:
	if (u->has_tlb)
		iotlb_destroy(&u->tlb);
	free(u->log);
	pthread_mutex_destroy(&u->lock);
	free(u);
	return ERR_PTR(ret);
}

struct iommu_unit *iommu_unit_create_str(const char *text, char *err,
					 size_t err_len)
{
	struct iommu_unit_config cfg;
	int ret = iommu_unit_config_parse(text, &cfg, err, err_len);

	if (ret)
		return ERR_PTR(ret);
	return iommu_unit_create(&cfg);
}

static void ste_free_rcu(struct rcu_head *head)
{
	iommu_rcu_callback(head);
	free(container_of(head, struct iommu_ste, rcu));
}

static void handler_free_rcu(struct rcu_head *head)
{
	iommu_rcu_callback(head);
	free(container_of(head, struct iommu_fault_handler, rcu));
}

/* Unpublish a slot entry; it goes after a grace period. */
static void slot_clear(struct iommu_ste **slot)
{
	struct iommu_ste *old =
	    __atomic_exchange_n(slot, NULL, __ATOMIC_ACQ_REL);

	if (old)
		iommu_call_rcu(&old->rcu, ste_free_rcu);
}

void iommu_unit_destroy(struct iommu_unit *u)
{
	if (IS_ERR_OR_NULL(u))
		return;
	pthread_mutex_lock(&registry_lock);
	registry[u->index] = NULL;
	pthread_mutex_unlock(&registry_lock);

	/* Unpublish every entry, wait for readers, then free the tables. */
	pthread_mutex_lock(&u->lock);
	for (unsigned int b = 0; b < CTX_BUSES; b++) {
		struct iommu_ctx_bus *bus = u->bus[b];

		for (unsigned int df = 0; bus && df < CTX_DEVFNS; df++) {
			struct iommu_ctx_slot *s = &bus->slot[df];

			slot_clear(&s->ste);
			for (unsigned int l = 0;
			     s->pasids && l < u->pasid_dir_size; l++) {
				struct iommu_pasid_leaf *leaf =
				    s->pasids->leaf[l];

				for (unsigned int i = 0;
				     leaf && i < PASID_LEAF_SIZE; i++)
					slot_clear(&leaf->ste[i]);
			}
		}
	}
	pthread_mutex_unlock(&u->lock);
	iommu_synchronize_rcu();
	for (unsigned int b = 0; b < CTX_BUSES; b++) {
		struct iommu_ctx_bus *bus = u->bus[b];

		for (unsigned int df = 0; bus && df < CTX_DEVFNS; df++) {
			struct iommu_ctx_slot *s = &bus->slot[df];

			for (unsigned int l = 0;
			     s->pasids && l < u->pasid_dir_size; l++)
				free(s->pasids->leaf[l]);
			free(s->pasids);
		}
		free(bus);
	}
	iommu_rcu_barrier();
	free(u->handler);
	if (u->has_tlb)
		iotlb_destroy(&u->tlb);
	free(u->log);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

const struct iommu_unit_config *iommu_unit_config(const struct iommu_unit *u)
{
	return &u->cfg;
}

const struct pt_format *iommu_unit_format(const struct iommu_unit *u,
					  unsigned int stage)
{
	if (stage != 1 && stage != 2)
		return NULL;
	return u->fmt[stage - 1];
}

void iommu_unit_hw_info(const struct iommu_unit *u,
			struct iommu_unit_hw_info *info)
{
	memset(info, 0, sizeof(*info));
	u->ops->hw_info(u, info);
	info->max_pasid_lg2 = u->cfg.pasid_lg2;
	if (u->cfg.features & IOMMU_UNIT_F_DIRTY)
		info->capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	if (u->cfg.pasid_lg2 && (u->cfg.features & IOMMU_UNIT_F_EXEC))
		info->capabilities |= IOMMU_HW_CAP_PCI_PASID_EXEC;
	if (u->cfg.pasid_lg2 && (u->cfg.features & IOMMU_UNIT_F_PRIV))
		info->capabilities |= IOMMU_HW_CAP_PCI_PASID_PRIV;
}

/* --- context table ------------------------------------------------------- */

static int slot_check(const struct iommu_unit *u, uint32_t rid, uint32_t pasid)
{
	if (rid > 0xffff)
		return -EINVAL;
	if (pasid != IOMMU_NO_PASID &&
	    (!u->cfg.pasid_lg2 || pasid >= (1u << u->cfg.pasid_lg2)))
		return -EINVAL;
	return 0;
}

/* The slot pointer for (rid, pasid); allocates tables when @create. */
static struct iommu_ste **slot_ptr(struct iommu_unit *u, uint32_t rid,
				   uint32_t pasid, bool create)
{
	struct iommu_ctx_bus *bus = u->bus[rid >> 8];
	struct iommu_ctx_slot *s;
	struct iommu_pasid_leaf *leaf;

	if (!bus) {
		if (!create)
			return NULL;
		bus = ufi_calloc(1, sizeof(*bus));
		if (!bus)
			return NULL;
		__atomic_store_n(&u->bus[rid >> 8], bus, __ATOMIC_RELEASE);
	}
	s = &bus->slot[rid & 0xff];
	if (pasid == IOMMU_NO_PASID)
		return &s->ste;
	if (!s->pasids) {
		struct iommu_pasid_dir *dir;

		if (!create)
			return NULL;
		dir = ufi_calloc(u->pasid_dir_size, sizeof(dir->leaf[0]));
		if (!dir)
			return NULL;
		__atomic_store_n(&s->pasids, dir, __ATOMIC_RELEASE);
	}
	leaf = s->pasids->leaf[pasid >> PASID_LEAF_BITS];
	if (!leaf) {
		if (!create)
			return NULL;
		leaf = ufi_calloc(1, sizeof(*leaf));
		if (!leaf)
			return NULL;
		__atomic_store_n(&s->pasids->leaf[pasid >> PASID_LEAF_BITS],
				 leaf, __ATOMIC_RELEASE);
	}
	return &leaf->ste[pasid & (PASID_LEAF_SIZE - 1)];
}

/* Can @ud be used on @u?  0 or -EOPNOTSUPP. */
static int domain_fits(const struct iommu_unit *u,
		       const struct iommu_udomain *ud)
{
	if (ud->type != u->cfg.type)
		return -EOPNOTSUPP;
	switch (ud->kind) {
	case UDOM_BLOCKED:
	case UDOM_IDENTITY:
		return 0;
	case UDOM_PAGING:
		return ud->fmt == u->fmt[ud->stage - 1] ? 0 : -EOPNOTSUPP;
	case UDOM_NESTED:
		if (!(u->cfg.features & IOMMU_UNIT_F_NEST) ||
		    ud->parent->fmt != u->fmt[1])
			return -EOPNOTSUPP;
		return 0;
	}
	return -EOPNOTSUPP;
}

int iommu_unit_attach(struct iommu_unit *u, uint32_t rid, uint32_t pasid,
		      struct iommu_domain *d, uint32_t flags)
{
	struct iommu_udomain *ud;
	struct iommu_ste *ste, *old, **slot;
	int ret;

	if (flags & ~(uint32_t)IOMMU_ATTACH_PRI)
		return -EOPNOTSUPP;
	ret = slot_check(u, rid, pasid);
	if (ret)
		return ret;
	if (!d || !iommu_domain_is_unit(d))
		return -EINVAL;
	ud = to_udomain(d);
	ret = domain_fits(u, ud);
	if (ret)
		return ret;
	if ((flags & IOMMU_ATTACH_PRI) && !(u->cfg.features & IOMMU_UNIT_F_PRI))
		return -EOPNOTSUPP;

	ste = ufi_calloc(1, sizeof(*ste));
	if (!ste)
		return -ENOMEM;
	ste->dom = ud;
	ste->kind = ud->kind;
	ste->tag = ud->tag;
	ste->s2tag = ud->kind == UDOM_NESTED ? ud->parent->tag : 0;
	ste->flags = flags;

	/* Invalidations must reach this unit before DMA can fill it. */
	__atomic_fetch_or(&ud->units, 1ull << u->index, __ATOMIC_SEQ_CST);
	if (ud->parent)
		__atomic_fetch_or(&ud->parent->units, 1ull << u->index,
				  __ATOMIC_SEQ_CST);

	pthread_mutex_lock(&u->lock);
	slot = slot_ptr(u, rid, pasid, true);
	if (!slot) {
		pthread_mutex_unlock(&u->lock);
		free(ste);
		return -ENOMEM;
	}
	old = *slot;
	__atomic_store_n(slot, ste, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&u->lock);
	if (old)
		iommu_call_rcu(&old->rcu, ste_free_rcu);
	return 0;
}

int iommu_unit_detach(struct iommu_unit *u, uint32_t rid, uint32_t pasid)
{
	struct iommu_ste *old, **slot;
	int ret = slot_check(u, rid, pasid);

	if (ret)
		return ret;
	pthread_mutex_lock(&u->lock);
	slot = slot_ptr(u, rid, pasid, false);
	old = slot ? *slot : NULL;
	if (old)
		__atomic_store_n(slot, NULL, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&u->lock);
	if (!old)
		return -ENOENT;
	iommu_call_rcu(&old->rcu, ste_free_rcu);
	return 0;
}

struct iommu_domain *iommu_unit_attached(struct iommu_unit *u, uint32_t rid,
					 uint32_t pasid)
{
	struct iommu_domain *d = NULL;
	struct iommu_ste **slot;

	if (slot_check(u, rid, pasid))
		return NULL;
	pthread_mutex_lock(&u->lock);
	slot = slot_ptr(u, rid, pasid, false);
	if (slot && *slot)
		d = &(*slot)->dom->domain;
	pthread_mutex_unlock(&u->lock);
	return d;
}

/* --- invalidation -------------------------------------------------------- */

void iommu_unit_invalidate(struct iommu_unit *u, const struct iommu_inv *inv)
{
	if (!u->has_tlb)
		return;
	stat_inc(&u->n_invalidations);
	switch (inv->granule) {
	case IOMMU_INV_GLOBAL:
		iotlb_invalidate(&u->tlb, 0, IOMMU_INV_ANY_PASID, 0, 0, false);
		break;
	case IOMMU_INV_DOMAIN:
		iotlb_invalidate(&u->tlb, inv->tag, IOMMU_INV_ANY_PASID, 0, 0,
				 true);
		break;
	case IOMMU_INV_PASID:
		iotlb_invalidate(&u->tlb, inv->tag, inv->pasid, 0, 0, false);
		break;
	case IOMMU_INV_RANGE:
		if (!inv->len)
			break;
		iotlb_invalidate(&u->tlb, inv->tag, inv->pasid, inv->iova,
				 inv->len, !!(inv->flags & IOMMU_INV_F_NESTED));
		break;
	}
}

void iommu_dma_wait(void)
{
	iommu_synchronize_rcu();
}

void iommu_quiesce(void)
{
	iommu_rcu_barrier();
}

void iommu_unit_flush_and_wait(struct iommu_unit *u,
			       const struct iommu_inv *inv)
{
	iommu_unit_invalidate(u, inv);
	iommu_dma_wait();
}

/* --- faults -------------------------------------------------------------- */

void __iommu_unit_report(struct iommu_unit *u,
			 const struct iommu_fault_record *r)
{
	struct iommu_fault_handler *h;

	if (r->flags & IOMMU_FAULT_F_RECOVERABLE) {
		stat_inc(&u->n_page_requests);
	} else {
		pthread_mutex_lock(&u->lock);
		if (u->log_count == u->cfg.fault_log) {
			stat_inc(&u->n_faults_lost);
		} else {
			u->log[(u->log_head + u->log_count) %
			       u->cfg.fault_log] = *r;
			u->log_count++;
		}
		pthread_mutex_unlock(&u->lock);
		stat_inc(&u->n_faults);
	}
	h = __atomic_load_n(&u->handler, __ATOMIC_ACQUIRE);
	if (h)
		h->fn(h->ctx, u, r);
}

int iommu_unit_fault_pop(struct iommu_unit *u, struct iommu_fault_record *r)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&u->lock);
	if (u->log_count) {
		*r = u->log[u->log_head];
		u->log_head = (u->log_head + 1) % u->cfg.fault_log;
		u->log_count--;
		ret = 0;
	}
	pthread_mutex_unlock(&u->lock);
	return ret;
}

void iommu_unit_set_fault_handler(struct iommu_unit *u, iommu_fault_fn fn,
				  void *ctx)
{
	struct iommu_fault_handler *h = NULL, *old;

	if (fn) {
		h = ufi_malloc(sizeof(*h));
		if (!h)
			return;
		h->fn = fn;
		h->ctx = ctx;
	}
	pthread_mutex_lock(&u->lock);
	old = u->handler;
	__atomic_store_n(&u->handler, h, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&u->lock);
	if (old)
		iommu_call_rcu(&old->rcu, handler_free_rcu);
}

void iommu_unit_stats(const struct iommu_unit *u, struct iommu_unit_stats *s)
{
	s->walks = __atomic_load_n(&u->n_walks, __ATOMIC_RELAXED);
	s->iotlb_fills = __atomic_load_n(&u->n_fills, __ATOMIC_RELAXED);
	s->faults = __atomic_load_n(&u->n_faults, __ATOMIC_RELAXED);
	s->faults_lost = __atomic_load_n(&u->n_faults_lost, __ATOMIC_RELAXED);
	s->page_requests =
	    __atomic_load_n(&u->n_page_requests, __ATOMIC_RELAXED);
	s->invalidations =
	    __atomic_load_n(&u->n_invalidations, __ATOMIC_RELAXED);
}

static const char *const reason_names[IOMMU_FAULT_NR_REASONS] = {
    [IOMMU_FAULT_NONE] = "none",
    [IOMMU_FAULT_RID_INVALID] = "rid-invalid",
    [IOMMU_FAULT_CTX_ABSENT] = "context-absent",
    [IOMMU_FAULT_PASID_INVALID] = "pasid-invalid",
    [IOMMU_FAULT_PASID_ABSENT] = "pasid-absent",
    [IOMMU_FAULT_BLOCKED] = "blocked",
    [IOMMU_FAULT_REQ_UNSUPPORTED] = "request-unsupported",
    [IOMMU_FAULT_ADDR_SIZE] = "address-size",
    [IOMMU_FAULT_TRANSLATION] = "translation",
    [IOMMU_FAULT_PERMISSION] = "permission",
    [IOMMU_FAULT_BAD_ENTRY] = "bad-entry",
};

const char *iommu_fault_reason_name(uint32_t reason)
{
	return reason < IOMMU_FAULT_NR_REASONS ? reason_names[reason] : "?";
}
