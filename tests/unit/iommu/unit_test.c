/*
 * unit_test.c - unit declarations (parser and its error messages), unit
 * limits, GET_HW_INFO data checked field by field against the VT-d and
 * SMMUv3 specifications, domain allocation flags and attach arguments.
 */
#include "iommu_test.h"

#include <stdarg.h>

/* Bits hi..lo of v (spec notation). */
#define FIELD(v, hi, lo) \
	(((uint64_t)(v) >> (lo)) & ((2ull << ((hi) - (lo))) - 1))

static void parse_ok(const char *text, struct iommu_unit_config *cfg)
{
	char err[256];
	int ret = iommu_unit_config_parse(text, cfg, err, sizeof(err));

	if (ret)
		test_fail(__FILE__, __LINE__, "'%s': %d %s", text, ret, err);
}

/* Parse must fail with a message containing every @want (NULL-ended). */
static void parse_bad(const char *text, ...)
{
	struct iommu_unit_config cfg;
	char err[256];
	va_list ap;
	const char *want;

	err[0] = 0;
	if (iommu_unit_config_parse(text, &cfg, err, sizeof(err)) != -EINVAL)
		test_fail(__FILE__, __LINE__, "'%s' accepted", text);
	va_start(ap, text);
	while ((want = va_arg(ap, const char *)))
		if (!strstr(err, want))
			test_fail(__FILE__, __LINE__,
				  "'%s': message '%s' lacks '%s'", text, err,
				  want);
	va_end(ap);
}

TEST(parse_full_declaration)
{
	struct iommu_unit_config c;

	parse_ok("unit vtd0 type=vtd aw=57 pasid=16 nest dirty ats pri "
		 "iotlb=1024 ways=2 faults=8  # comment",
		 &c);
	CHECK(!strcmp(c.name, "vtd0"));
	CHECK_EQ(c.type, IOMMU_UNIT_VTD);
	CHECK_EQ(c.aw, 57);
	CHECK_EQ(c.pasid_lg2, 16);
	CHECK_EQ(c.features, IOMMU_UNIT_F_NEST | IOMMU_UNIT_F_DIRTY |
				 IOMMU_UNIT_F_ATS | IOMMU_UNIT_F_PRI);
	CHECK_EQ(c.iotlb_entries, 1024);
	CHECK_EQ(c.iotlb_ways, 2);
	CHECK_EQ(c.fault_log, 8);

	/* Order does not matter; "no" clears a flag; type defaults apply. */
	parse_ok("unit s.1 dirty granule=64k type=smmuv3 nodirty iotlb=0", &c);
	CHECK_EQ(c.type, IOMMU_UNIT_SMMUV3);
	CHECK_EQ(c.granule_lg2, 16);
	CHECK_EQ(c.features, 0);
	CHECK_EQ(c.iotlb_entries, 0);
	CHECK_EQ(c.pasid_lg2, 20);

	parse_ok("unit a type=amd aw=64 s1=vtd_fs5", &c);
	CHECK(!strcmp(c.s1_format, "vtd_fs5"));
	parse_ok("unit r type=riscv aw=39 s2=riscv_sv39x4", &c);
}

TEST(parse_errors_name_the_token)
{
	parse_bad("", "starts with 'unit NAME'", NULL);
	parse_bad("units x type=vtd", "'units'", NULL);
	parse_bad("unit", "expected a unit name", NULL);
	parse_bad("unit type=vtd", "'type=vtd'", "unit name", NULL);
	parse_bad("unit bad/name type=vtd", "'bad/name'", NULL);
	parse_bad("unit u0 aw=48", "unit u0", "missing type", NULL);
	parse_bad("unit u0 type=ppc", "'type=ppc'", "unknown type", NULL);
	parse_bad("unit u0 type=vtd type=amd", "'type=amd'", "twice", NULL);
	parse_bad("unit u0 type=vtd aw=47", "'aw=47'", "39, 48 or 57", NULL);
	parse_bad("unit u0 type=vtd aw=48 aw=39", "'aw=39'", "twice", NULL);
	parse_bad("unit u0 type=vtd aw=x", "'aw=x'", NULL);
	parse_bad("unit u0 type=vtd aw=", "'aw='", "missing value", NULL);
	parse_bad("unit u0 type=vtd fast", "'fast'", "unknown flag", NULL);
	parse_bad("unit u0 type=vtd speed=3", "'speed=3'", "unknown option",
		  NULL);
	parse_bad("unit u0 type=vtd pasid=21", "'pasid=21'", "20", NULL);
	parse_bad("unit u0 type=vtd pasid=0 exec", "'exec'", "PASID", NULL);
	parse_bad("unit u0 type=vtd iotlb=1000", "'iotlb=1000'", "power of two",
		  NULL);
	parse_bad("unit u0 type=vtd ways=3", "'ways=3'", NULL);
	parse_bad("unit u0 type=vtd faults=0", "'faults=0'", NULL);
	parse_bad("unit u0 type=vtd oas=40", "'oas=40'", NULL);
	parse_bad("unit u0 type=vtd granule=16k", "'granule=16k'", "4k", NULL);
	parse_bad("unit u0 type=smmuv3 granule=2k", "'granule=2k'", NULL);
	parse_bad("unit u0 type=smmuv3 granule=16k aw=39", "'aw=39'", NULL);
	parse_bad("unit u0 type=vtd s2=arm_s2_4k_48", "'s2=arm_s2_4k_48'",
		  "not a stage-2 format of vtd", NULL);
	parse_bad("unit u0 type=riscv s1=riscv_sv48x4", "'s1=riscv_sv48x4'",
		  NULL);
	parse_bad("unit u0 type=amd s2=nosuch", "'s2=nosuch'",
		  "no page-table format", NULL);
	parse_bad("unit u0 type=smmuv3 granule=16k s1=arm_s1_4k_48",
		  "'s1=arm_s1_4k_48'", "granule", NULL);
}

TEST(unit_formats_by_type)
{
	static const struct {
		const char *decl, *s1, *s2;
	} rows[] = {
	    {"unit a type=vtd aw=39", "vtd_fs4", "vtd_ss3"},
	    {"unit a type=vtd aw=48", "vtd_fs4", "vtd_ss4"},
	    {"unit a type=vtd aw=57", "vtd_fs5", "vtd_ss5"},
	    {"unit a type=amd aw=39", "vtd_fs4", "amdv1_3"},
	    {"unit a type=amd aw=64", "vtd_fs5", "amdv1_6"},
	    {"unit a type=smmuv3 aw=39", "arm_s1_4k_39", "arm_s2_4k_40"},
	    {"unit a type=smmuv3", "arm_s1_4k_48", "arm_s2_4k_48"},
	    {"unit a type=smmuv3 granule=16k", "arm_s1_16k_48",
	     "arm_s2_16k_48"},
	    {"unit a type=smmuv3 granule=64k", "arm_s1_64k_48",
	     "arm_s2_64k_48_contig"},
	    {"unit a type=riscv aw=39", "riscv_sv39", "riscv_sv39x4"},
	    {"unit a type=riscv aw=57", "riscv_sv57", "riscv_sv57x4"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct iommu_unit *u = unit_new_str(rows[i].decl);

		CHECK(!strcmp(iommu_unit_format(u, 1)->name, rows[i].s1));
		CHECK(!strcmp(iommu_unit_format(u, 2)->name, rows[i].s2));
		CHECK(!iommu_unit_format(u, 3));
		iommu_unit_destroy(u);
	}
}

TEST(unit_create_limits)
{
	struct iommu_unit_config c;
	struct iommu_unit *units[IOMMU_UNIT_MAX];

	iommu_unit_config_init(&c, IOMMU_UNIT_VTD);
	c.aw = 40;
	CHECK_EQ(PTR_ERR(iommu_unit_create(&c)), -EINVAL);
	iommu_unit_config_init(&c, IOMMU_UNIT_NR_TYPES);
	CHECK_EQ(PTR_ERR(iommu_unit_create(&c)), -EINVAL);

	iommu_unit_config_init(&c, IOMMU_UNIT_RISCV);
	for (unsigned int i = 0; i < IOMMU_UNIT_MAX; i++) {
		units[i] = iommu_unit_create(&c);
		CHECK(!IS_ERR(units[i]));
	}
	CHECK_EQ(PTR_ERR(iommu_unit_create(&c)), -ENOSPC);
	iommu_unit_destroy(units[7]);
	units[7] = iommu_unit_create(&c);
	CHECK(!IS_ERR(units[7]));
	for (unsigned int i = 0; i < IOMMU_UNIT_MAX; i++)
		iommu_unit_destroy(units[i]);
}

/* --- GET_HW_INFO ---------------------------------------------------------- */

TEST(hw_info_vtd_registers)
{
	struct iommu_unit *u = unit_new(IOMMU_UNIT_VTD);
	struct iommu_unit_hw_info hi;
	uint64_t cap, ecap;

	iommu_unit_hw_info(u, &hi);
	CHECK_EQ(hi.type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	CHECK_EQ(hi.len, sizeof(struct iommu_hw_info_vtd));
	CHECK_EQ(hi.len, 24);
	CHECK_EQ(hi.max_pasid_lg2, 20);
	CHECK_EQ(hi.capabilities, IOMMU_HW_CAP_DIRTY_TRACKING |
				      IOMMU_HW_CAP_PCI_PASID_EXEC |
				      IOMMU_HW_CAP_PCI_PASID_PRIV);
	CHECK_EQ(hi.data.vtd.flags, 0);
	CHECK_EQ(hi.data.vtd.__reserved, 0);
	cap = hi.data.vtd.cap_reg;
	ecap = hi.data.vtd.ecap_reg;

	/* Capability Register (VT-d 11.4.2) */
	CHECK_EQ(FIELD(cap, 2, 0), 6);		  /* ND: 2^(4+2*6) = 64K ids */
	CHECK_EQ(FIELD(cap, 3, 3), 0);		  /* AFL */
	CHECK_EQ(FIELD(cap, 4, 4), 0);		  /* RWBF */
	CHECK_EQ(FIELD(cap, 7, 7), 0);		  /* CM: not a virtual unit */
	CHECK_EQ(FIELD(cap, 12, 8), 1u << 2);	  /* SAGAW: 4-level only */
	CHECK_EQ(FIELD(cap, 21, 16), 48 - 1);	  /* MGAW */
	CHECK_EQ(FIELD(cap, 33, 24) * 16, 0x400); /* FRO */
	CHECK_EQ(FIELD(cap, 34, 34), 1);	  /* SSLPS 2 MiB */
	CHECK_EQ(FIELD(cap, 35, 35), 1);	  /* SSLPS 1 GiB */
	CHECK_EQ(FIELD(cap, 37, 36), 0);
	CHECK_EQ(FIELD(cap, 39, 39), 1);       /* PSI */
	CHECK_EQ(FIELD(cap, 47, 40) + 1, 64);  /* NFR = fault log */
	CHECK_EQ(FIELD(cap, 53, 48), 48 - 12); /* MAMV */
	CHECK_EQ(FIELD(cap, 54, 54), 1);       /* DWD */
	CHECK_EQ(FIELD(cap, 55, 55), 1);       /* DRD */
	CHECK_EQ(FIELD(cap, 56, 56), 1);       /* FS1GP */
	CHECK_EQ(FIELD(cap, 59, 59), 0);       /* PI */
	CHECK_EQ(FIELD(cap, 60, 60), 0);       /* FS5LP: 4-level first stage */

	/* Extended Capability Register (VT-d 11.4.3) */
	CHECK_EQ(FIELD(ecap, 0, 0), 1);		  /* C */
	CHECK_EQ(FIELD(ecap, 1, 1), 1);		  /* QI */
	CHECK_EQ(FIELD(ecap, 2, 2), 1);		  /* DT (ats) */
	CHECK_EQ(FIELD(ecap, 3, 3), 0);		  /* IR */
	CHECK_EQ(FIELD(ecap, 6, 6), 1);		  /* PT */
	CHECK_EQ(FIELD(ecap, 7, 7), 1);		  /* SC */
	CHECK_EQ(FIELD(ecap, 17, 8) * 16, 0x500); /* IRO */
	CHECK_EQ(FIELD(ecap, 26, 26), 1);	  /* NEST */
	CHECK_EQ(FIELD(ecap, 29, 29), 1);	  /* PRS */
	CHECK_EQ(FIELD(ecap, 30, 30), 1);	  /* ERS */
	CHECK_EQ(FIELD(ecap, 31, 31), 1);	  /* SRS */
	CHECK_EQ(FIELD(ecap, 39, 35) + 1, 20);	  /* PSS */
	CHECK_EQ(FIELD(ecap, 40, 40), 1);	  /* PASID */
	CHECK_EQ(FIELD(ecap, 42, 42), 1);	  /* PDS */
	CHECK_EQ(FIELD(ecap, 43, 43), 1);	  /* SMTS */
	CHECK_EQ(FIELD(ecap, 45, 45), 1);	  /* SSADS */
	CHECK_EQ(FIELD(ecap, 46, 46), 1);	  /* SSTS */
	CHECK_EQ(FIELD(ecap, 47, 47), 1);	  /* FSTS */
	CHECK_EQ(FIELD(ecap, 48, 48), 1);	  /* SMPWCS */
	iommu_unit_destroy(u);

	/* A minimal unit: every optional bit off. */
	u = unit_new_str("unit v type=vtd aw=57 pasid=0 faults=1");
	iommu_unit_hw_info(u, &hi);
	cap = hi.data.vtd.cap_reg;
	ecap = hi.data.vtd.ecap_reg;
	CHECK_EQ(hi.max_pasid_lg2, 0);
	CHECK_EQ(hi.capabilities, 0);
	CHECK_EQ(FIELD(cap, 12, 8), 1u << 3); /* 5-level */
	CHECK_EQ(FIELD(cap, 21, 16), 57 - 1);
	CHECK_EQ(FIELD(cap, 47, 40), 0);
	CHECK_EQ(FIELD(cap, 60, 60), 1); /* FS5LP */
	CHECK_EQ(FIELD(ecap, 2, 2), 0);
	CHECK_EQ(FIELD(ecap, 26, 26), 0);
	CHECK_EQ(FIELD(ecap, 31, 29), 0);
	CHECK_EQ(FIELD(ecap, 40, 35), 0);
	CHECK_EQ(FIELD(ecap, 42, 42), 0);
	CHECK_EQ(FIELD(ecap, 45, 45), 0);
	iommu_unit_destroy(u);

	u = unit_new_str("unit v type=vtd aw=39");
	iommu_unit_hw_info(u, &hi);
	CHECK_EQ(FIELD(hi.data.vtd.cap_reg, 12, 8), 1u << 1); /* 3-level */
	CHECK_EQ(FIELD(hi.data.vtd.cap_reg, 21, 16), 38);
	iommu_unit_destroy(u);
}

TEST(hw_info_smmuv3_registers)
{
	struct iommu_unit *u = unit_new(IOMMU_UNIT_SMMUV3);
	struct iommu_unit_hw_info hi;
	const struct iommu_hw_info_arm_smmuv3 *r;

	iommu_unit_hw_info(u, &hi);
	r = &hi.data.smmuv3;
	CHECK_EQ(hi.type, IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
	CHECK_EQ(hi.len, sizeof(*r));
	CHECK_EQ(hi.len, 40);
	CHECK_EQ(hi.max_pasid_lg2, 20);
	CHECK_EQ(hi.capabilities, IOMMU_HW_CAP_DIRTY_TRACKING);
	CHECK_EQ(r->flags, 0);
	CHECK_EQ(r->__reserved, 0);

	/* IDR0 (SMMUv3 6.3.1) */
	CHECK_EQ(FIELD(r->idr[0], 0, 0), 1);   /* S2P (nest) */
	CHECK_EQ(FIELD(r->idr[0], 1, 1), 1);   /* S1P */
	CHECK_EQ(FIELD(r->idr[0], 3, 2), 2);   /* TTF: AArch64 */
	CHECK_EQ(FIELD(r->idr[0], 4, 4), 1);   /* COHACC */
	CHECK_EQ(FIELD(r->idr[0], 7, 6), 2);   /* HTTU: access + dirty */
	CHECK_EQ(FIELD(r->idr[0], 10, 10), 1); /* ATS */
	CHECK_EQ(FIELD(r->idr[0], 12, 12), 1); /* ASID16 */
	CHECK_EQ(FIELD(r->idr[0], 16, 16), 1); /* PRI */
	CHECK_EQ(FIELD(r->idr[0], 18, 18), 1); /* VMID16 */
	CHECK_EQ(FIELD(r->idr[0], 19, 19), 1); /* CD2L */
	CHECK_EQ(FIELD(r->idr[0], 22, 21), 2); /* TTENDIAN: LE */
	CHECK_EQ(FIELD(r->idr[0], 25, 24), 1); /* STALL_MODEL: no stall */
	CHECK_EQ(FIELD(r->idr[0], 28, 27), 1); /* ST_LEVEL: 2-level */
	/* IDR1 (6.3.2) */
	CHECK_EQ(FIELD(r->idr[1], 5, 0), 16);  /* SIDSIZE: 16-bit RID */
	CHECK_EQ(FIELD(r->idr[1], 10, 6), 20); /* SSIDSIZE */
	CHECK(FIELD(r->idr[1], 15, 11) > 0);   /* PRIQS (pri) */
	CHECK_EQ(FIELD(r->idr[1], 20, 16), 6); /* EVENTQS: 64 records */
	CHECK(FIELD(r->idr[1], 25, 21) <= 19); /* CMDQS */
	CHECK_EQ(FIELD(r->idr[1], 31, 26), 0); /* no PRESET/REL/ECMDQ */
	CHECK_EQ(r->idr[2], 0);
	CHECK_EQ(FIELD(r->idr[3], 10, 10), 1); /* RIL */
	CHECK_EQ(r->idr[4], 0);
	/* IDR5 (6.3.6) */
	CHECK_EQ(FIELD(r->idr[5], 2, 0), 5); /* OAS: 48 bits */
	CHECK_EQ(FIELD(r->idr[5], 4, 4), 1); /* GRAN4K */
	CHECK_EQ(FIELD(r->idr[5], 6, 5), 0);
	CHECK_EQ(FIELD(r->idr[5], 11, 10), 0); /* VAX: 48-bit VA */
	CHECK_EQ(r->iidr, 0);
	CHECK_EQ(FIELD(r->aidr, 7, 4), 0); /* SMMUv3 */
	CHECK_EQ(FIELD(r->aidr, 3, 0), 2); /* .2 */
	iommu_unit_destroy(u);

	u = unit_new_str("unit s type=smmuv3 granule=64k pasid=0 oas=52");
	iommu_unit_hw_info(u, &hi);
	r = &hi.data.smmuv3;
	CHECK_EQ(hi.capabilities, 0);
	CHECK_EQ(FIELD(r->idr[0], 0, 0), 0); /* no stage 2 */
	CHECK_EQ(FIELD(r->idr[0], 7, 6), 1); /* HTTU: access only */
	CHECK_EQ(FIELD(r->idr[0], 10, 10), 0);
	CHECK_EQ(FIELD(r->idr[0], 16, 16), 0);
	CHECK_EQ(FIELD(r->idr[0], 19, 18), 0);
	CHECK_EQ(FIELD(r->idr[1], 10, 6), 0);
	CHECK_EQ(FIELD(r->idr[1], 15, 11), 0);
	CHECK_EQ(FIELD(r->idr[5], 2, 0), 6); /* OAS: 52 bits */
	CHECK_EQ(FIELD(r->idr[5], 6, 4), 4); /* GRAN64K only */
	iommu_unit_destroy(u);
}

TEST(hw_info_amd_riscv_report_none)
{
	/* Linux v6.17 has no hw_info data type for AMD-Vi or RISC-V. */
	for (int t = IOMMU_UNIT_AMD; t <= IOMMU_UNIT_RISCV; t += 2) {
		struct iommu_unit *u = unit_new((enum iommu_unit_type)t);
		struct iommu_unit_hw_info hi;

		iommu_unit_hw_info(u, &hi);
		CHECK_EQ(hi.type, IOMMU_HW_INFO_TYPE_NONE);
		CHECK_EQ(hi.len, 0);
		CHECK_EQ(hi.max_pasid_lg2, t == IOMMU_UNIT_AMD ? 16 : 20);
		CHECK(hi.capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
		CHECK_EQ(!!(hi.capabilities & IOMMU_HW_CAP_PCI_PASID_EXEC),
			 t == IOMMU_UNIT_RISCV);
		iommu_unit_destroy(u);
	}
}

/* --- domains and attach arguments ---------------------------------------- */

TYPE_TEST(domain_alloc_flags)
{
	struct iommu_unit *u = unit_new(type);
	struct iommu_unit *bare =
	    unit_new_str(type == IOMMU_UNIT_VTD	     ? "unit b type=vtd"
			 : type == IOMMU_UNIT_AMD    ? "unit b type=amd pasid=0"
			 : type == IOMMU_UNIT_SMMUV3 ? "unit b type=smmuv3"
						     : "unit b type=riscv");
	struct iommu_domain *d;

	d = dom_paging(u, 0);
	CHECK_EQ(d->type, IOMMU_DOMAIN_PAGING);
	CHECK(d->pgsize_bitmap & PG);
	CHECK(d->aperture_last >= (1ull << 38) - 1);
	d->ops->free(d);

	d = dom_paging(u, IOMMU_UNIT_DOMAIN_NEST_PARENT);
	CHECK(iommu_unit_domain_pt(d)->fmt == iommu_unit_format(u, 2));
	d->ops->free(d);
	d = dom_paging(u, IOMMU_UNIT_DOMAIN_DIRTY);
	CHECK(!d->ops->set_dirty_tracking(d, true));
	d->ops->free(d);

	CHECK_EQ(PTR_ERR(iommu_unit_domain_alloc_paging(u, 1u << 7)), -EINVAL);
	CHECK_EQ(PTR_ERR(iommu_unit_domain_alloc_paging(
		     u, IOMMU_UNIT_DOMAIN_STAGE1 | IOMMU_UNIT_DOMAIN_STAGE2)),
		 -EINVAL);
	CHECK_EQ(
	    PTR_ERR(iommu_unit_domain_alloc_paging(
		u, IOMMU_UNIT_DOMAIN_STAGE1 | IOMMU_UNIT_DOMAIN_NEST_PARENT)),
	    -EOPNOTSUPP);
	/* Without the features. */
	CHECK_EQ(PTR_ERR(iommu_unit_domain_alloc_paging(
		     bare, IOMMU_UNIT_DOMAIN_NEST_PARENT)),
		 -EOPNOTSUPP);
	CHECK_EQ(PTR_ERR(iommu_unit_domain_alloc_paging(
		     bare, IOMMU_UNIT_DOMAIN_DIRTY)),
		 -EOPNOTSUPP);
	d = dom_paging(bare, 0);
	CHECK_EQ(d->ops->set_dirty_tracking(d, true), -EOPNOTSUPP);
	d->ops->free(d);
	/* Dirty tracking lives in one stage on VT-d / AMD / SMMUv3. */
	if (type == IOMMU_UNIT_VTD || type == IOMMU_UNIT_AMD)
		CHECK_EQ(
		    PTR_ERR(iommu_unit_domain_alloc_paging(
			u, IOMMU_UNIT_DOMAIN_STAGE1 | IOMMU_UNIT_DOMAIN_DIRTY)),
		    -EOPNOTSUPP);
	if (type == IOMMU_UNIT_SMMUV3) {
		CHECK_EQ(PTR_ERR(iommu_unit_domain_alloc_paging(
			     u, IOMMU_UNIT_DOMAIN_NEST_PARENT |
				    IOMMU_UNIT_DOMAIN_DIRTY)),
			 -EOPNOTSUPP);
		/* Stage 2 exists only with nesting (IDR0.S2P). */
		CHECK_EQ(PTR_ERR(iommu_unit_domain_alloc_paging(
			     bare, IOMMU_UNIT_DOMAIN_STAGE2)),
			 -EOPNOTSUPP);
	}
	if (type == IOMMU_UNIT_AMD) /* v2 tables need PASID (GT) */
		CHECK_EQ(PTR_ERR(iommu_unit_domain_alloc_paging(
			     bare, IOMMU_UNIT_DOMAIN_STAGE1)),
			 -EOPNOTSUPP);
	iommu_unit_destroy(bare);
	iommu_unit_destroy(u);
}

TYPE_TEST(attach_arguments)
{
	struct iommu_unit *u = unit_new(type);
	struct iommu_unit *other =
	    unit_new((enum iommu_unit_type)((type + 1) % IOMMU_UNIT_NR_TYPES));
	struct iommu_unit *nopri =
	    unit_new_str(type == IOMMU_UNIT_VTD	     ? "unit n type=vtd"
			 : type == IOMMU_UNIT_AMD    ? "unit n type=amd"
			 : type == IOMMU_UNIT_SMMUV3 ? "unit n type=smmuv3"
						     : "unit n type=riscv");
	struct iommu_domain *d = dom_paging(u, 0);
	struct iommu_domain *d2 = dom_paging(u, 0);
	struct iommu_domain *od = dom_paging(other, 0);
	struct iommu_domain *nd = dom_paging(nopri, 0);
	uint32_t max_pasid = 1u << iommu_unit_config(u)->pasid_lg2;

	CHECK_EQ(iommu_unit_attach(u, 0x10000, 0, d, 0), -EINVAL);
	CHECK_EQ(iommu_unit_attach(u, RID0, max_pasid, d, 0), -EINVAL);
	CHECK_EQ(iommu_unit_attach(u, RID0, 0, d, 1u << 5), -EOPNOTSUPP);
	CHECK_EQ(iommu_unit_attach(u, RID0, 0, od, 0), -EOPNOTSUPP);
	CHECK_EQ(iommu_unit_attach(nopri, RID0, 0, nd, IOMMU_ATTACH_PRI),
		 -EOPNOTSUPP);
	CHECK_EQ(iommu_unit_detach(u, RID0, 0), -ENOENT);
	CHECK(!iommu_unit_attached(u, RID0, 0));

	CHECK_EQ(iommu_unit_attach(u, RID0, 0, d, 0), 0);
	CHECK_EQ(iommu_unit_attach(u, RID0, max_pasid - 1, d, 0), 0);
	CHECK_EQ(iommu_unit_attach(u, 0xffff, 1, d, IOMMU_ATTACH_PRI), 0);
	CHECK(iommu_unit_attached(u, RID0, 0) == d);
	CHECK(iommu_unit_attached(u, RID0, max_pasid - 1) == d);
	CHECK(!iommu_unit_attached(u, RID0, 1));
	/* Replace is one publish. */
	CHECK_EQ(iommu_unit_attach(u, RID0, 0, d2, 0), 0);
	CHECK(iommu_unit_attached(u, RID0, 0) == d2);
	CHECK_EQ(iommu_unit_detach(u, RID0, 0), 0);
	CHECK(!iommu_unit_attached(u, RID0, 0));
	CHECK_EQ(iommu_unit_detach(u, RID0, max_pasid), -EINVAL);

	/* Destroying a unit with attached slots is clean (ASan checks). */
	iommu_unit_destroy(u);
	iommu_unit_destroy(other);
	iommu_unit_destroy(nopri);
	d->ops->free(d);
	d2->ops->free(d2);
	od->ops->free(od);
	nd->ops->free(nd);
	iommu_quiesce();
}
