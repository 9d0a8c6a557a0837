/*
 * formats.c - the built-in format variants: one row per variant naming the
 * family constructor and its parameters.  Built once, read-only after.
 *
 * Naming: family_variant.  vtd_ssN (N levels), vtd_fsN, amdv1_N (mode N),
 * arm_sS_G_B (stage S, granule G, B input bits; _contig: Contiguous bit),
 * riscv_svNN, riscv_svNNx4.
 */
#include <pthread.h>
#include <string.h>

#include "iommu/pt/pt.h"
#include "util/compiler.h"

enum { FAM_VTD_SS, FAM_VTD_FS, FAM_AMD, FAM_ARM, FAM_RISCV };

struct variant {
	const char *name;
	const char *desc;
	int fam;
	unsigned int a, b; /* family parameters */
	uint32_t flags;
};

static const struct variant variants[] = {
	{ "vtd_ss3", "VT-d second stage, 3 levels, 39-bit", FAM_VTD_SS, 3 },
	{ "vtd_ss4", "VT-d second stage, 4 levels, 48-bit", FAM_VTD_SS, 4 },
	{ "vtd_ss5", "VT-d second stage, 5 levels, 57-bit", FAM_VTD_SS, 5 },
	{ "vtd_fs4", "VT-d first stage, 4-level paging", FAM_VTD_FS, 4 },
	{ "vtd_fs5", "VT-d first stage, 5-level paging", FAM_VTD_FS, 5 },
	{ "amdv1_1", "AMD v1, mode 1, 21-bit", FAM_AMD, 1 },
	{ "amdv1_2", "AMD v1, mode 2, 30-bit", FAM_AMD, 2 },
	{ "amdv1_3", "AMD v1, mode 3, 39-bit", FAM_AMD, 3 },
	{ "amdv1_4", "AMD v1, mode 4, 48-bit", FAM_AMD, 4 },
	{ "amdv1_5", "AMD v1, mode 5, 57-bit", FAM_AMD, 5 },
	{ "amdv1_6", "AMD v1, mode 6, 64-bit", FAM_AMD, 6 },
	{ "arm_s1_4k_48", "Arm stage 1, 4K granule, 48-bit, start level 0",
	  FAM_ARM, 12, 48, 0 },
	{ "arm_s1_4k_39", "Arm stage 1, 4K granule, 39-bit, start level 1",
	  FAM_ARM, 12, 39, 0 },
	{ "arm_s1_4k_32", "Arm stage 1, 4K granule, 32-bit, start level 1",
	  FAM_ARM, 12, 32, 0 },
	{ "arm_s1_4k_48_contig", "Arm stage 1, 4K granule, Contiguous bit",
	  FAM_ARM, 12, 48, PT_ARM_CONTIG },
	{ "arm_s1_16k_48", "Arm stage 1, 16K granule, 48-bit", FAM_ARM, 14,
	  48, 0 },
	{ "arm_s1_64k_48", "Arm stage 1, 64K granule, 48-bit", FAM_ARM, 16,
	  48, 0 },
	{ "arm_s2_4k_48", "Arm stage 2, 4K granule, 48-bit, start level 0",
	  FAM_ARM, 12, 48, PT_ARM_STAGE2 },
	{ "arm_s2_4k_40", "Arm stage 2, 4K, 40-bit, level 1 x2 concatenated",
	  FAM_ARM, 12, 40, PT_ARM_STAGE2 },
	{ "arm_s2_4k_43", "Arm stage 2, 4K, 43-bit, level 1 x16 concatenated",
	  FAM_ARM, 12, 43, PT_ARM_STAGE2 },
	{ "arm_s2_4k_34", "Arm stage 2, 4K, 34-bit, level 2 x16 concatenated",
	  FAM_ARM, 12, 34, PT_ARM_STAGE2 },
	{ "arm_s2_16k_48", "Arm stage 2, 16K, 48-bit, level 1 x2 concatenated",
	  FAM_ARM, 14, 48, PT_ARM_STAGE2 },
	{ "arm_s2_64k_48", "Arm stage 2, 64K granule, 48-bit", FAM_ARM, 16,
	  48, PT_ARM_STAGE2 },
	{ "arm_s2_64k_48_contig", "Arm stage 2, 64K granule, Contiguous bit",
	  FAM_ARM, 16, 48, PT_ARM_STAGE2 | PT_ARM_CONTIG },
	{ "riscv_sv39", "RISC-V Sv39", FAM_RISCV, 3, 0 },
	{ "riscv_sv48", "RISC-V Sv48", FAM_RISCV, 4, 0 },
	{ "riscv_sv57", "RISC-V Sv57", FAM_RISCV, 5, 0 },
	{ "riscv_sv39x4", "RISC-V G-stage Sv39x4", FAM_RISCV, 3, 1 },
	{ "riscv_sv48x4", "RISC-V G-stage Sv48x4", FAM_RISCV, 4, 1 },
	{ "riscv_sv57x4", "RISC-V G-stage Sv57x4", FAM_RISCV, 5, 1 },
};

#define NR_VARIANTS ARRAY_SIZE(variants)

static struct pt_format formats[NR_VARIANTS];
static const struct pt_format *format_list[NR_VARIANTS + 1];
static pthread_once_t formats_once = PTHREAD_ONCE_INIT;

static int build(struct pt_format *fmt, const struct variant *v)
{
	switch (v->fam) {
	case FAM_VTD_SS:
		return pt_format_init_vtd_ss(fmt, v->a);
	case FAM_VTD_FS:
		return pt_format_init_vtd_fs(fmt, v->a);
	case FAM_AMD:
		return pt_format_init_amdv1(fmt, v->a);
	case FAM_ARM:
		return pt_format_init_arm(fmt, v->a, v->b, v->flags);
	case FAM_RISCV:
		return pt_format_init_riscv(fmt, v->a, v->b);
	}
	return -1;
}

static void formats_init(void)
{
	unsigned int n = 0;

	for (size_t i = 0; i < NR_VARIANTS; i++) {
		if (NEVER(build(&formats[i], &variants[i])))
			continue;
		formats[i].name = variants[i].name;
		formats[i].desc = variants[i].desc;
		format_list[n++] = &formats[i];
	}
	format_list[n] = NULL;
}

const struct pt_format *const *pt_format_list(void)
{
	pthread_once(&formats_once, formats_init);
	return format_list;
}

const struct pt_format *pt_format_by_name(const char *name)
{
	for (const struct pt_format *const *f = pt_format_list(); *f; f++)
		if (!strcmp((*f)->name, name))
			return *f;
	return NULL;
}
