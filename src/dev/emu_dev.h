/*
 * emu_dev.h - emulated PCI devices behind software IOMMU units: their
 * declaration (config.c), the IOMMU driver that binds them to iommufd
 * (unit_dev.c), their VFIO device cdevs (vfio_cdev.c) and device models
 * (dma_engine.c).
 *
 * A device is declared once per process, by configuration (UIOMMU_DEVICES,
 * the file named by UIOMMU_CONFIG, or uiommu_devices_declare()), and lives
 * until the process exits: /dev/vfio/devices/<name> opens it.  Each has a
 * PCI identity (segment, bus:dev.fn = RID on its unit), an IOMMU group (the
 * devices declared with one group number share one struct iommu_group; a
 * group sits behind one unit), capabilities (PASID width, ATS, PRI) and a
 * model.
 *
 * Locking: emu_dev.lock guards the bound file and the model's registers
 * and interrupt triggers.  Binding, unbinding and a model reporting a page
 * request take it before the context's ictx->lock; nothing takes it while
 * holding an ictx->lock (page responses arrive under ictx->lock: the model
 * hands them to a thread of its own through a leaf lock, dma_engine.c).
 * The registry (config.c) is append-only under its own mutex.
 */
#ifndef UIOMMU_DEV_EMU_DEV_H
#define UIOMMU_DEV_EMU_DEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/device.h"
#include "iommu/unit.h"

#define EMU_DEV_NAME_MAX 32

enum emu_dev_model {
	EMU_MODEL_NONE,		/* no registers: bind/attach only */
	EMU_MODEL_DMA,		/* the DMA engine of dma_engine.c */
};

/* vfio-pci's interrupt indexes the devices offer (INTx, MSI, MSI-X, ERR, REQ). */
#define EMU_DEV_NUM_IRQS 5

struct emu_dma_engine;

struct emu_dev {
	struct iommu_dev dev;		/* dev.priv = this */
	char name[EMU_DEV_NAME_MAX];
	struct iommu_unit *unit;
	uint16_t segment;
	uint16_t rid;			/* bus << 8 | dev << 3 | fn */
	uint32_t group;			/* as declared */
	uint8_t pasid_lg2;		/* 0: no PASID capability */
	bool ats, pri;
	enum emu_dev_model model;
	pthread_mutex_t lock;
	void *bound;			/* the device file bound, or NULL */
	int irq_efd[EMU_DEV_NUM_IRQS];	/* trigger eventfd (vector 0), -1 */
	bool intx_masked;
	struct emu_dma_engine *dma;	/* EMU_MODEL_DMA state */
};

/* --- configuration (config.c) ------------------------------------------- */

/*
 * Declare units and devices from @text: entries separated by newlines or
 * ';', '#' to the end of an entry is a comment.  "unit ..." as
 * iommu_unit_config_parse(); "device NAME unit=U bdf=[SEG:]BB:DD.F
 * [group=N] [model=dma|none] [pasid=N] [ats] [pri]".  An error in the text
 * declares nothing: 0, or -EINVAL with a message naming the offending entry
 * and token in @err; -ENOSPC / -ENOMEM when the registry is full.
 */
int emu_config_declare(const char *text, char *err, size_t err_len);
/*
 * The device named @name ("vfio0"), loading the configuration on first use
 * (environment, else the default: one VT-d unit and one DMA engine), or
 * NULL.
 */
struct emu_dev *emu_dev_lookup(const char *name);
/*
 * Load the configuration as the first lookup would (its errors go to
 * stderr): 0, or the -errno the environment's declaration gave.
 */
int emu_config_load(void);
/*
 * The whole text of the file at @path (NUL-terminated; "" when it holds
 * none), which the caller frees, or NULL when it cannot be opened or no
 * memory.  A configuration file, read as UIOMMU_CONFIG is.
 */
char *emu_read_file(const char *path);
/* The @i-th declared device / unit in declaration order, or NULL. */
struct emu_dev *emu_dev_at(unsigned int i);
struct iommu_unit *emu_unit_at(unsigned int i);

/* --- the unit driver (unit_dev.c) --------------------------------------- */

extern const struct iommu_dev_ops emu_unit_dev_ops;
/* Set up @edev->dev for its unit and put it in @share's group (or a new one). */
int emu_unit_dev_init(struct emu_dev *edev, struct emu_dev *share);

/* Signal the completion interrupt: MSI, else INTx.  edev->lock held. */
void emu_dev_irq_signal(struct emu_dev *edev);
/* The iommufd device of the bound file, or NULL.  edev->lock held. */
struct iommufd_device *emu_dev_bound_idev(struct emu_dev *edev);

/* --- models (dma_engine.c) ---------------------------------------------- */

int emu_dma_engine_init(struct emu_dev *edev);
/* BAR0 size (0 when the model has no registers). */
uint64_t emu_model_bar0_size(const struct emu_dev *edev);
/* Register access at @off of BAR0: bytes done or -errno.  edev->lock held. */
ssize_t emu_model_bar0_rw(struct emu_dev *edev, void *buf, size_t count,
			  uint64_t off, bool write);
/* Registers back to their reset values.  edev->lock held. */
void emu_model_reset(struct emu_dev *edev);
/*
 * The page request group @grpid the model reported was answered with
 * @code (IOMMUFD_PAGE_RESP_*).  Called under ictx->lock, from any thread.
 */
void emu_model_page_response(struct emu_dev *edev, uint32_t grpid,
			     uint32_t code);

#endif
